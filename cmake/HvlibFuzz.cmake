# SPDX-License-Identifier: MIT
#
# libFuzzer targets as CTest tests: one test fuzz_<name> (LABELS fuzz) per
# tests/fuzz/fuzz_<name>.c (fuzz_support.c is shared code, not a target), each running
# scripts/fuzz.sh for HVLIB_FUZZ_SECONDS seconds over a copy of tests/fuzz/corpus/<name>/.
# The script builds with clang itself (-fsanitize=fuzzer,address,undefined, whatever compiler
# configured this build), in ${CMAKE_BINARY_DIR}/fuzz. Without clang, or with a clang that lacks
# the libFuzzer runtime, the tests report a skip (exit 77) with the reason.
#
#   ctest -L fuzz                        # every target, HVLIB_FUZZ_SECONDS each
#   scripts/fuzz.sh 300 virtqueue        # one target, longer, by hand

set(HVLIB_FUZZ_SECONDS 20 CACHE STRING "Time budget of each fuzz test in seconds")

find_program(HVLIB_CLANG NAMES clang clang-18 clang-17 clang-16 clang-15 clang-14)

file(GLOB _hv_fuzz_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.c")
list(REMOVE_ITEM _hv_fuzz_sources "${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_support.c")
list(SORT _hv_fuzz_sources)

# Building the library with sanitizers takes a while on these machines: allow for it.
math(EXPR _hv_fuzz_timeout "${HVLIB_FUZZ_SECONDS} * 2 + 600")

foreach(_src IN LISTS _hv_fuzz_sources)
	get_filename_component(_name "${_src}" NAME_WE)
	string(REGEX REPLACE "^fuzz_" "" _target "${_name}")
	if(NOT HVLIB_CLANG)
		add_test(NAME ${_name}
			COMMAND sh -c "echo 'SKIP: clang not found (install clang)'; exit 77")
	else()
		add_test(NAME ${_name}
			COMMAND "${CMAKE_COMMAND}" -E env "CLANG=${HVLIB_CLANG}"
				"FUZZ_BUILD_DIR=${CMAKE_BINARY_DIR}/fuzz"
				bash "${PROJECT_SOURCE_DIR}/scripts/fuzz.sh" "${HVLIB_FUZZ_SECONDS}"
				"${_target}")
	endif()
	set_tests_properties(${_name} PROPERTIES
		LABELS fuzz
		SKIP_RETURN_CODE 77
		TIMEOUT ${_hv_fuzz_timeout})
endforeach()
