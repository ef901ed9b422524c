# SPDX-License-Identifier: MIT
#
# Benchmarks: each tests/bench/<b>.c becomes the executable bench_<b>, linked with the static
# library (benchmarks of the core may use lib/ internals), the test support library (if any)
# and every guest of tests/guests/. tests/bench/run.sh runs them all and prints the figures. They are built
# but not registered with CTest: timings on these machines are noisy (see PLATFORMS.md), so run
# them by hand, e.g. build/bench_<b>.
include(HvlibTestGuests)

file(GLOB _hv_bench_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/bench/*.c")
list(SORT _hv_bench_sources)
foreach(_src IN LISTS _hv_bench_sources)
	get_filename_component(_name "${_src}" NAME_WE)
	add_executable(bench_${_name} "${_src}")
	target_compile_options(bench_${_name} PRIVATE ${HVLIB_WARNING_FLAGS})
	target_link_libraries(bench_${_name} PRIVATE hvlib_static ${HVLIB_TEST_GUESTS})
	target_include_directories(bench_${_name} PRIVATE "${HVLIB_PRIVATE_INCLUDE_DIR}"
		"${PROJECT_SOURCE_DIR}/tests/support")
	if(TARGET hvlib_test_support)
		target_link_libraries(bench_${_name} PRIVATE hvlib_test_support)
	endif()
endforeach()
