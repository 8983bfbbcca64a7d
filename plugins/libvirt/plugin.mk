# telex-libvirt: every plugins/libvirt/lv_*.c but main goes into a static
# library that the program, the tests and the benchmark link.
LV_SRC := $(filter-out plugins/libvirt/lv_main.c,$(wildcard plugins/libvirt/lv_*.c))
LV_OBJ := $(LV_SRC:%.c=$(OBJ)/%.o)
LV_LIB := $(BUILD)/lib/libtelex-libvirt.a
LV_LIBS := $(LIBVIRT_LIBS) -lpthread -lm

$(LV_LIB): $(LV_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# The program is built once everything telex_main() links is in the tree.
LV_SHIM_READY := $(and $(wildcard shim/lp_parse.c),$(wildcard shim/config_toml.c),$(wildcard shim/filter.c))
ifneq ($(LV_SHIM_READY),)
PROGRAMS += $(BIN)/telex-libvirt
# The man page once its source (and rule) is in the tree.
MANPAGES += $(if $(wildcard plugins/libvirt/*.1.in),$(BUILD)/man/telex-libvirt.1)
endif

$(BIN)/telex-libvirt: $(OBJ)/plugins/libvirt/lv_main.o $(LV_LIB) $(LIBTELEX)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LV_LIBS)

# The page's text is plugins/libvirt/telex-libvirt.1.in; its OPTIONS
# section is whatever the program's option table says.
$(BUILD)/man/telex-libvirt.1: plugins/libvirt/telex-libvirt.1.in \
		$(BIN)/telex-libvirt
	@mkdir -p $(@D)
	$(BIN)/telex-libvirt --man-options > $@.options
	sed -e '/^@OPTIONS@$$/{r $@.options' -e 'd}' \
		$(MAN_SED) $< > $@
	rm -f $@.options
