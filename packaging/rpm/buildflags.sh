# buildflags.sh: Fedora's and EL9's compiler flags for the RPMs, sourced
# by build-rpm.sh. They are what redhat-rpm-config's %{optflags} and
# %{build_ldflags} expand to on Fedora 38+ (EL9 has the same set with
# _FORTIFY_SOURCE=2), minus the -specs= files that exist only there: their
# effect is spelled out (redhat-hardened-cc1/ld: -fPIE and -pie;
# redhat-annobin-cc1: the annobin plugin, left out).
# -march=x86-64-v2 is EL9's baseline on x86_64.
rpm_arch=$(uname -m)
case $rpm_arch in
x86_64) rpm_march="-m64 -march=x86-64-v2 -mtune=generic -fcf-protection" ;;
aarch64) rpm_march="-mbranch-protection=standard" ;;
*) rpm_march= ;;
esac
RPM_CPPFLAGS=
RPM_CFLAGS="-O2 -flto=auto -ffat-lto-objects -fexceptions -g \
-grecord-gcc-switches -pipe -Wall -Werror=format-security \
-Wp,-U_FORTIFY_SOURCE,-D_FORTIFY_SOURCE=3 -Wp,-D_GLIBCXX_ASSERTIONS \
-fstack-protector-strong $rpm_march -fasynchronous-unwind-tables \
-fstack-clash-protection -fno-omit-frame-pointer -fPIE"
RPM_LDFLAGS="-Wl,-z,relro -Wl,--as-needed -Wl,-z,now -pie \
-Wl,--build-id=sha1 -flto=auto -ffat-lto-objects"
# LTO objects in libtelex.a need the archiver with the LTO plugin.
RPM_MAKEVARS="AR=gcc-ar"
