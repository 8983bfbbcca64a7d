# telex-libvirt, its man page and `make telex-libvirt-sample` (the
# telex_program template in the Makefile). Its objects but main also go
# into a static library that the tests and the benchmark link.
LV_LIBS := $(LIBVIRT_LIBS) -lpthread -lm
$(eval $(call telex_program,LV,telex-libvirt,plugins/libvirt,lv,,$(LV_LIBS)))

LV_LIB := $(BUILD)/lib/libtelex-libvirt.a
$(LV_LIB): $(LV_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
