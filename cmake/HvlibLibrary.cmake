# SPDX-License-Identifier: MIT
#
# The library: one OBJECT library (position-independent, hidden visibility) turned into
#   hvlib          libhvlib.so.<major>  (alias hvlib::hvlib, exported as hvlib::hvlib)
#   hvlib_static   libhvlib.a           (alias hvlib::hvlib_static, exported likewise)
#
# Sources: lib/*.c, lib/arch/*/*.c, lib/devices/*.c, lib/loader/*.c, lib/virtio/*.c and
# lib/x86/*.c (all freestanding),
# except lib/platform_hosted.c which, with lib/hosted/*.c (host sides of devices: files, TAP),
# is built only when HVLIB_HOSTED is ON (it then also gets HVLIB_HOSTED=1 defined for the
# whole core); the
# enabled backends' backends/<name>/*.c; and the generated backend table
# ${CMAKE_BINARY_DIR}/generated/hv_backends.c.
#
# libfdt (HVLIB_HAVE_FDT, cmake/HvlibDeps.cmake) is linked when found: PRIVATE for the shared
# library, in the interface of the static one.
#
# Variables set here: HVLIB_BACKENDS (list of enabled backend names), HVLIB_CORE_SOURCES,
# HVLIB_PRIVATE_INCLUDE_DIR (lib/), HVLIB_BACKEND_TABLE (the generated file).

set(HVLIB_PRIVATE_INCLUDE_DIR "${PROJECT_SOURCE_DIR}/lib")

file(GLOB HVLIB_CORE_SOURCES CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/lib/*.c"
     "${PROJECT_SOURCE_DIR}/lib/arch/*/*.c"
     "${PROJECT_SOURCE_DIR}/lib/devices/*.c"
     "${PROJECT_SOURCE_DIR}/lib/loader/*.c"
     "${PROJECT_SOURCE_DIR}/lib/virtio/*.c"
     "${PROJECT_SOURCE_DIR}/lib/x86/*.c")
file(GLOB HVLIB_HOSTED_SOURCES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/lib/hosted/*.c")
list(SORT HVLIB_HOSTED_SOURCES)
list(REMOVE_ITEM HVLIB_CORE_SOURCES "${PROJECT_SOURCE_DIR}/lib/platform_hosted.c")
list(SORT HVLIB_CORE_SOURCES)

# ---- backends -----------------------------------------------------------------------------------

set(HVLIB_BACKENDS "")
set(_hv_backend_sources "")
set(HV_BACKEND_DECLS "")
set(HV_BACKEND_LIST "")

# hv_enable_backend(<option> <dir name> <C identifier suffix>)
macro(hv_enable_backend opt dir ident)
	if(${opt} AND NOT EXISTS "${PROJECT_SOURCE_DIR}/backends/${dir}")
		message(WARNING "${opt} is ON but backends/${dir}/ does not exist yet: ignored")
	elseif(${opt})
		file(GLOB _srcs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/backends/${dir}/*.c")
		list(SORT _srcs)
		# Backend sources see lib/ and their own directory; the core never sees a backend's.
		set_source_files_properties(${_srcs} PROPERTIES
			INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/backends/${dir}")
		list(APPEND _hv_backend_sources ${_srcs})
		list(APPEND HVLIB_BACKENDS "${dir}")
		string(APPEND HV_BACKEND_DECLS "extern const struct hv_backend hv__backend_${ident};\n")
		string(APPEND HV_BACKEND_LIST "&hv__backend_${ident}, ")
		string(STRIP "${HV_BACKEND_LIST}" HV_BACKEND_LIST)
	endif()
endmacro()

hv_enable_backend(HVLIB_BACKEND_KVM kvm kvm)
hv_enable_backend(HVLIB_BACKEND_AARCH64_EL2 aarch64-el2 aarch64_el2)
hv_enable_backend(HVLIB_BACKEND_X86_VMX x86-vmx x86_vmx)

set(HVLIB_BACKEND_TABLE "${CMAKE_BINARY_DIR}/generated/hv_backends.c")
configure_file("${PROJECT_SOURCE_DIR}/cmake/hv_backends.c.in" "${HVLIB_BACKEND_TABLE}" @ONLY)

# ---- objects ------------------------------------------------------------------------------------

add_library(hvlib_objects OBJECT ${HVLIB_CORE_SOURCES} ${_hv_backend_sources}
	"${HVLIB_BACKEND_TABLE}")
if(HVLIB_HOSTED)
	target_sources(hvlib_objects PRIVATE "${PROJECT_SOURCE_DIR}/lib/platform_hosted.c"
		${HVLIB_HOSTED_SOURCES})
	target_compile_definitions(hvlib_objects PRIVATE HVLIB_HOSTED=1)
endif()
set_target_properties(hvlib_objects PROPERTIES
	POSITION_INDEPENDENT_CODE ON
	C_VISIBILITY_PRESET hidden)
target_include_directories(hvlib_objects PRIVATE
	"${PROJECT_SOURCE_DIR}/include"
	"${HVLIB_PRIVATE_INCLUDE_DIR}")
target_compile_options(hvlib_objects PRIVATE ${HVLIB_WARNING_FLAGS})
# Guest device trees are written with libfdt (lib/devtree_write.c); without it that one call
# answers HV_ERR_UNSUPPORTED. Shared: a DT_NEEDED. Static: consumers link it (see below).
if(HVLIB_HAVE_FDT)
	target_link_libraries(hvlib_objects PRIVATE hvdep::fdt)
	target_compile_definitions(hvlib_objects PRIVATE HVLIB_HAVE_LIBFDT=1)
endif()

# ---- shared and static libraries ----------------------------------------------------------------

set(HVLIB_VERSION_SCRIPT "${PROJECT_SOURCE_DIR}/cmake/hvlib.map")

add_library(hvlib SHARED $<TARGET_OBJECTS:hvlib_objects>)
add_library(hvlib_static STATIC $<TARGET_OBJECTS:hvlib_objects>)
add_library(hvlib::hvlib ALIAS hvlib)
add_library(hvlib::hvlib_static ALIAS hvlib_static)

set_target_properties(hvlib PROPERTIES
	VERSION "${PROJECT_VERSION}"
	SOVERSION "${PROJECT_VERSION_MAJOR}"
	C_VISIBILITY_PRESET hidden
	EXPORT_NAME hvlib
	LINK_DEPENDS "${HVLIB_VERSION_SCRIPT}")
target_link_options(hvlib PRIVATE "LINKER:--version-script=${HVLIB_VERSION_SCRIPT}")
if(NOT HVLIB_SANITIZE)
	# Sanitizer runtimes are resolved by the executable, so this only holds without them.
	target_link_options(hvlib PRIVATE "LINKER:--no-undefined")
endif()

set_target_properties(hvlib_static PROPERTIES
	OUTPUT_NAME hvlib
	EXPORT_NAME hvlib_static)

foreach(_t hvlib hvlib_static)
	target_include_directories(${_t} PUBLIC
		"$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
		"$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
	if(HVLIB_HOSTED)
		if(_t STREQUAL "hvlib")
			target_link_libraries(${_t} PRIVATE Threads::Threads)
		else()
			target_link_libraries(${_t} PUBLIC Threads::Threads)
		endif()
	endif()
endforeach()
if(HVLIB_HAVE_FDT)
	target_link_libraries(hvlib PRIVATE hvdep::fdt)
	# Installed, the static library names hvlib::fdt, which hvlibConfig.cmake defines.
	target_link_libraries(hvlib_static INTERFACE
		"$<BUILD_INTERFACE:hvdep::fdt>" "$<INSTALL_INTERFACE:hvlib::fdt>")
endif()
