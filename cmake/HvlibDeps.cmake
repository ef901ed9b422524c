# SPDX-License-Identifier: MIT
#
# Optional third-party dependencies; each one found gives:
#   HVLIB_HAVE_<NAME>   ON/OFF
#   hvdep::<name>       an imported target to link against
# for NAME in FDT (libfdt: the library writes guest device trees with it), CAPSTONE (capstone),
# CMOCKA (cmocka, used by the unit tests). For libfdt also, to tell consumers of the installed
# static library (hvlib.pc, hvlibConfig.cmake):
#   HVLIB_FDT_PC_REQUIRES   "libfdt" when pkg-config knows it, else empty
#   HVLIB_FDT_PC_LIBS       "-lfdt" (with its -L) when it does not, else empty
#   HVLIB_FDT_LIBDIR        the directory libfdt was found in
# Threads::Threads is always looked up: the hosted platform links it.

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(PkgConfig QUIET)

# hv_find_pkg(<NAME> <target> <pkg-config module>)
function(hv_find_pkg name target module)
	set(HVLIB_HAVE_${name} OFF PARENT_SCOPE)
	if(NOT PKG_CONFIG_FOUND)
		return()
	endif()
	pkg_check_modules(HVDEP_${name} QUIET IMPORTED_TARGET GLOBAL ${module})
	if(HVDEP_${name}_FOUND)
		add_library(${target} ALIAS PkgConfig::HVDEP_${name})
		set(HVLIB_HAVE_${name} ON PARENT_SCOPE)
	endif()
endfunction()

hv_find_pkg(CAPSTONE hvdep::capstone capstone)
hv_find_pkg(CMOCKA hvdep::cmocka cmocka)

# Debian's libfdt-dev ships no pkg-config file: try pkg-config, then the plain header and library.
# HVLIB_WITH_FDT=OFF builds without it even when it is there (hv_arm64_fdt_write() then answers
# HV_ERR_UNSUPPORTED), which is also how that case is tested.
option(HVLIB_WITH_FDT "Write guest device trees with libfdt when it is found" ON)
set(HVLIB_HAVE_FDT OFF)
if(HVLIB_WITH_FDT)
	hv_find_pkg(FDT hvdep::fdt libfdt)
endif()
if(HVLIB_WITH_FDT AND NOT HVLIB_HAVE_FDT)
	find_path(HVLIB_FDT_INCLUDE_DIR libfdt.h)
	find_library(HVLIB_FDT_LIBRARY NAMES fdt)
	mark_as_advanced(HVLIB_FDT_INCLUDE_DIR HVLIB_FDT_LIBRARY)
	if(HVLIB_FDT_INCLUDE_DIR AND HVLIB_FDT_LIBRARY)
		add_library(hvdep::fdt UNKNOWN IMPORTED GLOBAL)
		set_target_properties(hvdep::fdt PROPERTIES
			IMPORTED_LOCATION "${HVLIB_FDT_LIBRARY}"
			INTERFACE_INCLUDE_DIRECTORIES "${HVLIB_FDT_INCLUDE_DIR}")
		set(HVLIB_HAVE_FDT ON)
	endif()
endif()

set(HVLIB_FDT_PC_REQUIRES "")
set(HVLIB_FDT_PC_LIBS "")
set(HVLIB_FDT_LIBDIR "")
if(HVLIB_HAVE_FDT AND HVDEP_FDT_FOUND)
	set(HVLIB_FDT_PC_REQUIRES "libfdt")
	list(GET HVDEP_FDT_LINK_LIBRARIES 0 _hv_fdt_file)
	get_filename_component(HVLIB_FDT_LIBDIR "${_hv_fdt_file}" DIRECTORY)
elseif(HVLIB_HAVE_FDT)
	get_filename_component(HVLIB_FDT_LIBDIR "${HVLIB_FDT_LIBRARY}" DIRECTORY)
	set(HVLIB_FDT_PC_LIBS "-lfdt")
	if(NOT HVLIB_FDT_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
		set(HVLIB_FDT_PC_LIBS "-L${HVLIB_FDT_LIBDIR} -lfdt")
	endif()
endif()
