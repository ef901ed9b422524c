# SPDX-License-Identifier: MIT
#
# Installation: headers in include/hvlib, libhvlib.so* and libhvlib.a, hvlib.pc (relocatable:
# its prefix is computed from its own location), and the CMake package
#   find_package(hvlib) -> hvlib::hvlib (shared), hvlib::hvlib_static.

include(CMakePackageConfigHelpers)

set(HVLIB_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/hvlib")

install(TARGETS hvlib hvlib_static
	EXPORT hvlibTargets
	LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
	ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
	RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
	INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/hvlib"
	DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
	FILES_MATCHING PATTERN "*.h")
install(EXPORT hvlibTargets
	NAMESPACE hvlib::
	FILE hvlibTargets.cmake
	DESTINATION "${HVLIB_CMAKE_INSTALL_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/hvlibConfig.cmake.in"
	"${CMAKE_BINARY_DIR}/hvlibConfig.cmake"
	INSTALL_DESTINATION "${HVLIB_CMAKE_INSTALL_DIR}")
write_basic_package_version_file("${CMAKE_BINARY_DIR}/hvlibConfigVersion.cmake"
	VERSION "${PROJECT_VERSION}"
	COMPATIBILITY SameMajorVersion)
install(FILES "${CMAKE_BINARY_DIR}/hvlibConfig.cmake" "${CMAKE_BINARY_DIR}/hvlibConfigVersion.cmake"
	DESTINATION "${HVLIB_CMAKE_INSTALL_DIR}")

# pkg-config: paths relative to ${pcfiledir} so that `cmake --install --prefix X` works anywhere.
set(_hv_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${_hv_pcdir}")
	set(HVLIB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
	file(RELATIVE_PATH _hv_up "/__prefix__/${_hv_pcdir}" "/__prefix__")
	string(REGEX REPLACE "/$" "" _hv_up "${_hv_up}")
	set(HVLIB_PC_PREFIX "\${pcfiledir}/${_hv_up}")
endif()
foreach(_d LIBDIR INCLUDEDIR)
	if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
		set(HVLIB_PC_${_d} "${CMAKE_INSTALL_${_d}}")
	else()
		set(HVLIB_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
	endif()
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/hvlib.pc.in" "${CMAKE_BINARY_DIR}/hvlib.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/hvlib.pc" DESTINATION "${_hv_pcdir}")
