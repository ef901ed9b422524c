# SPDX-License-Identifier: MIT
#
# Test registration. Everything is found by glob (re-globbed at build time), so adding a file
# is enough:
#
#   tests/support/*.c       -> static library hvlib_test_support, linked into every test below
#                              (include dir tests/support/; it sees include/ and lib/ but links
#                              neither library: each test brings its own).
#   tests/unit/test_<m>.c   -> executable and CTest test test_<m>, LABELS unit. Links cmocka,
#                              the STATIC library and may include lib/hv_internal.h.
#   tests/integration/<n>.c -> executable itest_<n>, CTest test <n>, LABELS kvm;integration.
#                              Public API only; links the SHARED library (and cmocka if found).
#   tests/guests/<g>.S      -> guest object library guest_<g> (see cmake/HvlibTestGuests.cmake),
#   tests/guests/<g>/       -> likewise, from entry.S and the folder's *.c (64-bit freestanding C);
#                              linked into every integration test and benchmark.
#
# Fixed tests (all LABELS unit): docs_warning_free, freestanding_aarch64, freestanding_x86_64,
# exports_public_only, install_consumer.
#
# Every test has SKIP_RETURN_CODE 77: a test that cannot run here prints why and exits 77.
# Timeouts: HVLIB_TEST_TIMEOUT_UNIT (default 120 s), HVLIB_TEST_TIMEOUT_KVM (default 600 s;
# /dev/kvm on these machines is software-emulated and slow).

set(HVLIB_TEST_TIMEOUT_UNIT 120 CACHE STRING "Timeout of unit tests in seconds")
set(HVLIB_TEST_TIMEOUT_KVM 600 CACHE STRING "Timeout of KVM integration tests in seconds")

set(_hv_tests "${PROJECT_SOURCE_DIR}/tests")
set(_hv_test_env "")
if(HVLIB_SANITIZE)
	list(APPEND _hv_test_env
		"ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1"
		"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()

# hv_test_properties(<test> <timeout> <labels>...)
function(hv_test_properties test timeout)
	set_tests_properties(${test} PROPERTIES
		LABELS "${ARGN}"
		SKIP_RETURN_CODE 77
		TIMEOUT ${timeout})
	if(_hv_test_env)
		set_tests_properties(${test} PROPERTIES ENVIRONMENT "${_hv_test_env}")
	endif()
endfunction()

# A test that cannot be built here: registered anyway, so it shows up as skipped with a reason.
function(hv_add_skipped_test name reason)
	add_test(NAME ${name} COMMAND sh -c "echo \"SKIP: $1\"; exit 77" sh "${reason}")
	hv_test_properties(${name} 10 ${ARGN})
endfunction()

# ---- support library ----------------------------------------------------------------------------

file(GLOB _hv_support_sources CONFIGURE_DEPENDS "${_hv_tests}/support/*.c")
set(_hv_support "")
if(_hv_support_sources)
	add_library(hvlib_test_support STATIC ${_hv_support_sources})
	target_include_directories(hvlib_test_support
		PUBLIC "${_hv_tests}/support" "${PROJECT_SOURCE_DIR}/include"
		PRIVATE "${HVLIB_PRIVATE_INCLUDE_DIR}")
	target_compile_options(hvlib_test_support PRIVATE ${HVLIB_WARNING_FLAGS})
	if(HVLIB_HAVE_CMOCKA)
		target_link_libraries(hvlib_test_support PRIVATE hvdep::cmocka)
	endif()
	set(_hv_support hvlib_test_support)
endif()

# ---- unit tests ---------------------------------------------------------------------------------

file(GLOB _hv_unit_sources CONFIGURE_DEPENDS "${_hv_tests}/unit/test_*.c")
list(SORT _hv_unit_sources)
foreach(_src IN LISTS _hv_unit_sources)
	get_filename_component(_name "${_src}" NAME_WE)
	if(NOT HVLIB_HAVE_CMOCKA)
		hv_add_skipped_test(${_name} "cmocka not found (install libcmocka-dev)" unit)
		continue()
	endif()
	add_executable(${_name} "${_src}")
	target_include_directories(${_name} PRIVATE "${HVLIB_PRIVATE_INCLUDE_DIR}")
	target_compile_options(${_name} PRIVATE ${HVLIB_WARNING_FLAGS})
	target_link_libraries(${_name} PRIVATE ${_hv_support} hvlib_static hvdep::cmocka)
	if(_name STREQUAL "test_devtree" AND HVLIB_HAVE_FDT)
		# The device-tree writer's test reads the blobs back with libfdt.
		target_link_libraries(${_name} PRIVATE hvdep::fdt)
		target_compile_definitions(${_name} PRIVATE HV_TEST_LIBFDT=1)
	endif()
	add_test(NAME ${_name} COMMAND ${_name})
	hv_test_properties(${_name} ${HVLIB_TEST_TIMEOUT_UNIT} unit)
endforeach()

# ---- integration tests and their guests ---------------------------------------------------------

include(HvlibTestGuests)

file(GLOB _hv_integration_sources CONFIGURE_DEPENDS "${_hv_tests}/integration/*.c")
list(SORT _hv_integration_sources)
foreach(_src IN LISTS _hv_integration_sources)
	get_filename_component(_name "${_src}" NAME_WE)
	add_executable(itest_${_name} "${_src}")
	target_compile_options(itest_${_name} PRIVATE ${HVLIB_WARNING_FLAGS})
	target_link_libraries(itest_${_name} PRIVATE ${_hv_support} hvlib ${HVLIB_TEST_GUESTS})
	if(HVLIB_HAVE_CMOCKA)
		target_link_libraries(itest_${_name} PRIVATE hvdep::cmocka)
	endif()
	add_test(NAME ${_name} COMMAND itest_${_name})
	hv_test_properties(${_name} ${HVLIB_TEST_TIMEOUT_KVM} kvm integration)
endforeach()

# ---- fixed tests --------------------------------------------------------------------------------

if(HVLIB_BUILD_DOCS)
	add_test(NAME docs_warning_free
		COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target docs)
	hv_test_properties(docs_warning_free ${HVLIB_TEST_TIMEOUT_UNIT} unit docs)
else()
	hv_add_skipped_test(docs_warning_free "HVLIB_BUILD_DOCS is OFF (Doxygen not found?)"
		unit docs)
endif()

foreach(_arch aarch64 x86_64)
	add_test(NAME freestanding_${_arch}
		COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/check-freestanding.sh" ${_arch})
	hv_test_properties(freestanding_${_arch} ${HVLIB_TEST_TIMEOUT_UNIT} unit freestanding)
endforeach()

add_test(NAME exports_public_only
	COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/check-exports.sh" "$<TARGET_FILE:hvlib>"
		"$<TARGET_FILE:hvlib_static>" "${PROJECT_VERSION_MAJOR}"
		"${PROJECT_SOURCE_DIR}/include/hvlib")
hv_test_properties(exports_public_only ${HVLIB_TEST_TIMEOUT_UNIT} unit)

if(HVLIB_SANITIZE)
	hv_add_skipped_test(install_consumer
		"sanitized libraries need a sanitized consumer; run it in the plain build" unit install)
else()
	add_test(NAME install_consumer
		COMMAND bash "${_hv_tests}/install/run.sh" "${CMAKE_BINARY_DIR}"
			"${_hv_tests}/install" "${PROJECT_VERSION}")
	hv_test_properties(install_consumer ${HVLIB_TEST_TIMEOUT_UNIT} unit install)
endif()
