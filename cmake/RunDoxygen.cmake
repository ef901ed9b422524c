# SPDX-License-Identifier: MIT
# cmake -D DOXYGEN=... -D DOXYFILE=... -D OUTPUT_DIR=... -P RunDoxygen.cmake
# Runs Doxygen and fails, printing them, if it emitted any warning.
file(REMOVE_RECURSE "${OUTPUT_DIR}")
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}"
	RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "")
if(EXISTS "${OUTPUT_DIR}/warnings.log")
	file(READ "${OUTPUT_DIR}/warnings.log" log)
endif()
string(STRIP "${log}${err}" warnings)
if(NOT rc EQUAL 0 OR NOT warnings STREQUAL "")
	message(FATAL_ERROR "Doxygen warnings (exit code ${rc}):\n${warnings}\n${out}")
endif()
message(STATUS "Doxygen: no warnings; HTML in ${OUTPUT_DIR}/html/index.html")
