# libtelex.a: the shared library every program and test links.
SHIM_SRC := $(wildcard shim/*.c)
SHIM_OBJ := $(SHIM_SRC:%.c=$(OBJ)/%.o)

$(LIBTELEX): $(SHIM_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
