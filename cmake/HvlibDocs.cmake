# SPDX-License-Identifier: MIT
#
# `docs`: Doxygen over include/hvlib/ into ${CMAKE_BINARY_DIR}/docs. Any warning fails the target
# (WARN_AS_ERROR=FAIL_ON_WARNINGS where supported, and the warning log must be empty), and all
# warnings are printed. The CTest test docs_warning_free builds this target.

if(NOT DOXYGEN_FOUND)
	message(FATAL_ERROR "HVLIB_BUILD_DOCS is ON but Doxygen was not found")
endif()

set(HVLIB_DOCS_OUTPUT_DIR "${CMAKE_BINARY_DIR}/docs")
# FAIL_ON_WARNINGS (doxygen >= 1.9.0) reports every warning, then fails; YES stops at the first.
if(DOXYGEN_VERSION VERSION_GREATER_EQUAL 1.9.0)
	set(HVLIB_DOXYGEN_WARN_AS_ERROR FAIL_ON_WARNINGS)
else()
	set(HVLIB_DOXYGEN_WARN_AS_ERROR YES)
endif()
configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${CMAKE_BINARY_DIR}/Doxyfile" @ONLY)

file(GLOB _hv_public_headers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/include/hvlib/*.h")
add_custom_target(docs
	COMMAND "${CMAKE_COMMAND}" -D "DOXYGEN=${DOXYGEN_EXECUTABLE}"
		-D "DOXYFILE=${CMAKE_BINARY_DIR}/Doxyfile"
		-D "OUTPUT_DIR=${HVLIB_DOCS_OUTPUT_DIR}"
		-P "${PROJECT_SOURCE_DIR}/cmake/RunDoxygen.cmake"
	DEPENDS ${_hv_public_headers} "${PROJECT_SOURCE_DIR}/docs/Doxyfile.in"
	COMMENT "Generating API documentation in ${HVLIB_DOCS_OUTPUT_DIR}"
	VERBATIM)
