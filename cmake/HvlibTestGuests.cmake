# SPDX-License-Identifier: MIT
#
# Guests shared by integration tests and benchmarks: each tests/guests/<g>.S becomes the object
# library guest_<g> (hv_add_x86_guest), whose header "guest_<g>.h" declares guest_<g>_start[],
# guest_<g>_end[] and GUEST_<G>_ORG. The link origin is 0x1000 unless the source contains a line
# with `hv-org: <address>` (for example a comment `/* hv-org: 0x7c00 */`).
# Sets HVLIB_TEST_GUESTS to the list of these libraries.
include_guard(GLOBAL)

file(GLOB _hv_guest_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/guests/*.S")
list(SORT _hv_guest_sources)
set(HVLIB_TEST_GUESTS "")
foreach(_src IN LISTS _hv_guest_sources)
	get_filename_component(_g "${_src}" NAME_WE)
	file(STRINGS "${_src}" _org_line REGEX "hv-org: *0x[0-9A-Fa-f]+" LIMIT_COUNT 1)
	set(_org 0x1000)
	if(_org_line MATCHES "hv-org: *(0x[0-9A-Fa-f]+)")
		set(_org "${CMAKE_MATCH_1}")
	endif()
	hv_add_x86_guest(guest_${_g} "${_src}" ORG ${_org})
	list(APPEND HVLIB_TEST_GUESTS guest_${_g})
endforeach()
