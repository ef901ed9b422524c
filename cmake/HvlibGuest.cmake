# SPDX-License-Identifier: MIT
#
# Test and example guests: flat binaries linked into the host program.
#
#   hv_add_x86_guest(<name> <source>... [ORG <address>] [INCLUDES <dir>...] [DEFINES <def>...])
#
# builds the sources (relative paths are relative to the calling CMakeLists.txt) into one flat
# binary linked at ORG (default 0x1000), <name>.bin:
#  - .S files are assembled with the host gcc (-c -nostdlib -ffreestanding; use .code16 /
#    .code32 / .code64 inside);
#  - .c files are compiled as 64-bit freestanding code for long mode set up by the host:
#    -m64 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mno-sse -mno-mmx -mgeneral-regs-only
#    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns
#    -O2 -nostdlib -Wall -Wextra (no libc, no libgcc: GCC may still emit calls to memcpy,
#    memset, memmove and memcmp, so a guest with C code defines those itself);
#  - the first source is the entry: the linker script generated here puts its .text at ORG,
#    then every other .text, .rodata, .data and .bss (page-aligned start, NOT in the binary:
#    the entry code zeroes __guest_bss_start..__guest_bss_end itself), and discards .comment,
#    .note* and .eh_frame. __guest_end is the first byte after .bss.
# It defines an OBJECT library <name> whose object exposes the bytes as
#
#   extern const uint8_t <name>_start[], <name>_end[];
#
# declared, with <NAME>_ORG (the link address), in the generated header "<name>.h". Link the
# library to get both the object and the header's directory:
#
#   target_link_libraries(<exe> PRIVATE hvlib::hvlib <name>)
#
# (`target_sources(<exe> PRIVATE $<TARGET_OBJECTS:<name>>)` works too, without the header path.)
# Load the bytes at guest-physical ORG and start the vCPU there.
#
# Convention for examples: examples/NN-name/ holds main.c, optionally guest.S, and a
# CMakeLists.txt of this shape; the top-level CMakeLists.txt adds every examples/*/ that has one,
# in name order, and scripts/demo.sh runs each examples/NN-name/NN-name binary in that order:
#
#   add_executable(01-hello main.c)
#   hv_add_x86_guest(hello_guest guest.S ORG 0x1000)
#   target_link_libraries(01-hello PRIVATE hvlib::hvlib hello_guest)
#
# The executable name must equal the directory name. Tests use the same function from
# cmake/HvlibTestGuests.cmake (tests/guests/<name>.S, or a directory tests/guests/<name>/ with
# entry.S and *.c files, see there).

if(CMAKE_LINKER)
	set(HVLIB_GUEST_LD "${CMAKE_LINKER}" CACHE FILEPATH "Linker for flat guest binaries")
else()
	find_program(HVLIB_GUEST_LD NAMES ld.bfd ld REQUIRED)
endif()
mark_as_advanced(HVLIB_GUEST_LD)

set(HVLIB_GUEST_LDFLAGS -m elf_x86_64 -nostdlib -z noexecstack)
execute_process(COMMAND "${HVLIB_GUEST_LD}" --help OUTPUT_VARIABLE _hv_ld_help ERROR_QUIET)
if(_hv_ld_help MATCHES "--no-warn-rwx-segments")
	list(APPEND HVLIB_GUEST_LDFLAGS --no-warn-rwx-segments)
endif()

# The guests' C compiler must be GCC (the flags below are GCC's); a build configured with
# another compiler looks for gcc.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
	set(_hv_guest_cc_default "${CMAKE_C_COMPILER}")
else()
	find_program(_hv_guest_cc_default NAMES gcc)
	if(NOT _hv_guest_cc_default)
		set(_hv_guest_cc_default "${CMAKE_C_COMPILER}")
	endif()
endif()
set(HVLIB_GUEST_CC "${_hv_guest_cc_default}" CACHE FILEPATH "C compiler for guest binaries (gcc)")
mark_as_advanced(HVLIB_GUEST_CC)

set(HVLIB_GUEST_C_FLAGS -m64 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mno-sse -mno-mmx
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables
	-fno-tree-loop-distribute-patterns -O2 -nostdlib -Wall -Wextra)

function(hv_add_x86_guest name)
	cmake_parse_arguments(PARSE_ARGV 1 ARG "" "ORG" "INCLUDES;DEFINES")
	set(sources ${ARG_UNPARSED_ARGUMENTS})
	if(NOT sources)
		message(FATAL_ERROR "hv_add_x86_guest(${name}): no sources")
	endif()
	if(NOT ARG_ORG)
		set(ARG_ORG 0x1000)
	endif()
	if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
		message(FATAL_ERROR "hv_add_x86_guest: '${name}' is not a C identifier")
	endif()

	set(dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.guest")
	set(bin "${dir}/${name}.bin")
	set(lds "${dir}/${name}.ld")
	set(blob "${dir}/${name}_blob.S")
	set(hdr "${dir}/${name}.h")
	file(MAKE_DIRECTORY "${dir}")

	set(common "-I${CMAKE_CURRENT_SOURCE_DIR}" "-DGUEST_ORG=${ARG_ORG}")
	foreach(inc IN LISTS ARG_INCLUDES)
		get_filename_component(inc "${inc}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
		list(APPEND common "-I${inc}")
	endforeach()
	foreach(def IN LISTS ARG_DEFINES)
		list(APPEND common "-D${def}")
	endforeach()

	# One object per source, numbered so that equal file names in different folders differ.
	set(objs "")
	set(srcs "")
	set(i 0)
	foreach(source IN LISTS sources)
		get_filename_component(src "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
		get_filename_component(base "${src}" NAME_WE)
		get_filename_component(ext "${src}" LAST_EXT)
		set(obj "${dir}/${i}_${base}.o")
		if(ext STREQUAL ".c")
			set(cc "${HVLIB_GUEST_CC}")
			set(flags ${HVLIB_GUEST_C_FLAGS} ${common})
		elseif(ext STREQUAL ".S")
			set(cc "${CMAKE_C_COMPILER}")
			set(flags -ffreestanding -nostdlib -fno-pic -fno-asynchronous-unwind-tables ${common})
		else()
			message(FATAL_ERROR "hv_add_x86_guest(${name}): ${source} is neither .S nor .c")
		endif()
		add_custom_command(OUTPUT "${obj}"
			COMMAND "${cc}" ${flags} -MD -MT "${obj}" -MF "${obj}.d" -c -o "${obj}" "${src}"
			DEPENDS "${src}"
			DEPFILE "${obj}.d"
			COMMENT "Compiling guest ${name}: ${base}${ext}"
			VERBATIM)
		list(APPEND objs "${obj}")
		list(APPEND srcs "${src}")
		math(EXPR i "${i} + 1")
	endforeach()
	list(GET objs 0 entry_obj)

	file(CONFIGURE OUTPUT "${lds}" @ONLY CONTENT [[
/* Generated by hv_add_x86_guest(): a flat guest linked at @ARG_ORG@, the entry object first. */
OUTPUT_FORMAT("elf64-x86-64")
SECTIONS
{
	. = @ARG_ORG@;
	.text : {
		"@entry_obj@"(.text .text.*)
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	.data : { *(.data .data.*) }
	. = ALIGN(4096);
	__guest_bss_start = .;
	.bss (NOLOAD) : { *(.bss .bss.*) *(COMMON) }
	. = ALIGN(16);
	__guest_bss_end = .;
	__guest_end = .;
	/DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
]])

	add_custom_command(OUTPUT "${bin}"
		COMMAND "${HVLIB_GUEST_LD}" ${HVLIB_GUEST_LDFLAGS} -T "${lds}" -e ${ARG_ORG} --oformat binary
			-o "${bin}" ${objs}
		DEPENDS ${objs} "${lds}"
		COMMENT "Linking x86 guest ${name} (origin ${ARG_ORG})"
		VERBATIM)

	string(TOUPPER "${name}" uname)
	file(CONFIGURE OUTPUT "${blob}" @ONLY CONTENT [[
/* Generated by hv_add_x86_guest(): the flat binary @name@.bin as data. */
	.section .rodata.@name@, "a"
	.balign 16
	.globl @name@_start
	.type @name@_start, @object
@name@_start:
	.incbin "@bin@"
	.globl @name@_end
	.type @name@_end, @object
@name@_end:
	.section .note.GNU-stack, "", @progbits
]])
	file(CONFIGURE OUTPUT "${hdr}" @ONLY CONTENT [[
/* Generated by hv_add_x86_guest(): the guest binary @name@.bin, linked at @ARG_ORG@. */
#ifndef @uname@_GUEST_H
#define @uname@_GUEST_H
#include <stdint.h>
#define @uname@_ORG ((uint64_t)@ARG_ORG@)
extern const uint8_t @name@_start[];
extern const uint8_t @name@_end[];
#endif
]])
	set_source_files_properties("${blob}" PROPERTIES OBJECT_DEPENDS "${bin}")
	add_library(${name} OBJECT "${blob}" "${bin}")
	target_include_directories(${name} INTERFACE "${dir}")
endfunction()
