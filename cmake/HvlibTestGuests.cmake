# SPDX-License-Identifier: MIT
#
# Guests shared by integration tests and benchmarks (hv_add_x86_guest, cmake/HvlibGuest.cmake):
#   tests/guests/<g>.S            one assembly file;
#   tests/guests/<g>/entry.S      a guest of several files: entry.S (linked first, at the origin)
#   tests/guests/<g>/*.c, *.S     and the other sources of the folder (64-bit freestanding C);
# each becomes the object library guest_<g>, whose header "guest_<g>.h" declares
# guest_<g>_start[], guest_<g>_end[] and GUEST_<G>_ORG. The link origin is 0x1000 unless the
# .S file (entry.S for a folder) contains a line with `hv-org: <address>` (for example a
# comment `/* hv-org: 0x7c00 */`). A folder's own headers are found with #include "x.h".
# Sets HVLIB_TEST_GUESTS to the list of these libraries.
include_guard(GLOBAL)

file(GLOB _hv_guest_files CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/guests/*.S")
file(GLOB _hv_guest_dirs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/guests/*/entry.S")
set(_hv_guest_entries ${_hv_guest_files} ${_hv_guest_dirs})
list(SORT _hv_guest_entries)
set(HVLIB_TEST_GUESTS "")
foreach(_entry IN LISTS _hv_guest_entries)
	get_filename_component(_name "${_entry}" NAME)
	if(_name STREQUAL "entry.S")
		get_filename_component(_dir "${_entry}" DIRECTORY)
		get_filename_component(_g "${_dir}" NAME)
		file(GLOB _more CONFIGURE_DEPENDS "${_dir}/*.c" "${_dir}/*.S")
		list(REMOVE_ITEM _more "${_entry}")
		list(SORT _more)
		set(_srcs "${_entry}" ${_more})
	else()
		get_filename_component(_g "${_entry}" NAME_WE)
		set(_srcs "${_entry}")
	endif()
	file(STRINGS "${_entry}" _org_line REGEX "hv-org: *0x[0-9A-Fa-f]+" LIMIT_COUNT 1)
	set(_org 0x1000)
	if(_org_line MATCHES "hv-org: *(0x[0-9A-Fa-f]+)")
		set(_org "${CMAKE_MATCH_1}")
	endif()
	hv_add_x86_guest(guest_${_g} ${_srcs} ORG ${_org})
	list(APPEND HVLIB_TEST_GUESTS guest_${_g})
endforeach()
