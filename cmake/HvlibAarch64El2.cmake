# SPDX-License-Identifier: MIT
#
# The bare-metal AArch64 EL2 backend and its firmware for QEMU's virt board.
#
# The backend (backends/aarch64-el2/) runs only at EL2, inside firmware: it is never part of
# the hosted library. HVLIB_BACKEND_AARCH64_EL2 is for freestanding AArch64 builds of the
# library (HVLIB_HOSTED=OFF with an AArch64 toolchain file); anything else is refused here.
#
# Whatever the host, when the AArch64 cross compiler (aarch64-linux-gnu-gcc) is found, the
# target el2_firmware builds, with scripts/build-el2-firmware.sh, into ${CMAKE_BINARY_DIR}/el2/:
#   el2-demo.elf  examples/05-el2-firmware (two guests on their own cores)
#   el2-test.elf  the test firmware of tests/el2 (one scenario per QEMU run)
# Tests (LABELS aarch64-el2) run them under qemu-system-aarch64 with tests/el2/run.sh and skip
# (exit 77, with the reason) when QEMU or the cross compiler is missing.

if(HVLIB_BACKEND_AARCH64_EL2 AND (HVLIB_HOSTED OR NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$"))
	message(FATAL_ERROR "HVLIB_BACKEND_AARCH64_EL2 runs at EL2 only: it needs an AArch64 "
		"freestanding build (HVLIB_HOSTED=OFF). The firmware in examples/05-el2-firmware is "
		"built by the el2_firmware target without this option.")
endif()

set(HVLIB_EL2_DIR "${CMAKE_BINARY_DIR}/el2")
find_program(HVLIB_AARCH64_GCC aarch64-linux-gnu-gcc)

if(HVLIB_AARCH64_GCC)
	file(GLOB_RECURSE _hv_el2_deps CONFIGURE_DEPENDS
		"${PROJECT_SOURCE_DIR}/include/*.h"
		"${PROJECT_SOURCE_DIR}/lib/*.c" "${PROJECT_SOURCE_DIR}/lib/*.h"
		"${PROJECT_SOURCE_DIR}/backends/aarch64-el2/*"
		"${PROJECT_SOURCE_DIR}/examples/05-el2-firmware/*"
		"${PROJECT_SOURCE_DIR}/tests/el2/*")
	add_custom_command(
		OUTPUT "${HVLIB_EL2_DIR}/el2-demo.elf" "${HVLIB_EL2_DIR}/el2-test.elf"
		COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/build-el2-firmware.sh" "${HVLIB_EL2_DIR}"
		DEPENDS ${_hv_el2_deps} "${PROJECT_SOURCE_DIR}/scripts/build-el2-firmware.sh"
		COMMENT "Cross-building the AArch64 EL2 firmware"
		VERBATIM)
	add_custom_target(el2_firmware ALL
		DEPENDS "${HVLIB_EL2_DIR}/el2-demo.elf" "${HVLIB_EL2_DIR}/el2-test.elf")
endif()

if(HVLIB_BUILD_TESTS)
	set(_hv_el2_run "${PROJECT_SOURCE_DIR}/tests/el2/run.sh")
	set(_hv_el2_fw "${HVLIB_EL2_DIR}/el2-test.elf")
	# el2_<scenario>: the firmware must exit 0 and the console show each pattern.
	add_test(NAME el2_mmio COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" mmio
		"mmio: id 0x11 loads ok" "mmio: rom 0xddba11 kept" "mmio: distributor ok"
		"vm mmio stopped: guest shutdown")
	add_test(NAME el2_timer_vgic COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" timer
		"timer: 3 ticks through the vGIC" "vm timer stopped: guest shutdown")
	add_test(NAME el2_psci_cpu_on COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" smp
		"smp: cpu1 up, context ok" "smp: cpu1 is off again" "vm smp stopped: guest shutdown")
	add_test(NAME el2_wild_access COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" wild
		"wild: undefined instruction delivered to the guest"
		"wild: id registers hide SVE and the PMU"
		"vm wild stopped: fault \\(access to unmapped address at 0x200000000"
		"good: told to stop" "vm good stopped: guest shutdown")
	add_test(NAME el2_hostile_guests COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" hostile
		"hostile: absorbed" "vm hostile stopped: guest reset"
		"after hv_vm_reset: fw: vm hostile stopped: guest reset"
		"vm hostile stopped: fault \\(instruction emulation failed at 0x9000000"
		"vm hostile stopped: fault \\(access to unmapped address at 0x8000000000"
		"vm good stopped: guest shutdown")
	add_test(NAME el2_host_irq COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" ptirq
		"fw: ptirq: bad routes refused" "ptirq: alarm 1, intid 34" "ptirq: alarm 2, intid 34"
		"ptirq: 2 alarms from the passed-through RTC" "vm ptirq stopped: guest shutdown")
	add_test(NAME el2_time_slice COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" slice
		"fw: slice: shares follow the priorities" "vm spin2 stopped: guest shutdown"
		"\\[spin1\\] spin: pointer-authentication key kept"
		"\\[spin2\\] spin: pointer-authentication key kept"
		"vm spin1 stopped: guest shutdown" "vm nap stopped: guest shutdown")
	add_test(NAME el2_core_reuse COMMAND bash "${_hv_el2_run}" "${_hv_el2_fw}" reuse
		"timer: 3 ticks through the vGIC" "vm mmio stopped: guest shutdown")
	add_test(NAME el2_demo COMMAND bash "${_hv_el2_run}" "${HVLIB_EL2_DIR}/el2-demo.elf" demo
		"timer: 3 ticks through the vGIC" "smp: cpu1 is off again" "fw: all guests ended")
	foreach(_t el2_mmio el2_timer_vgic el2_psci_cpu_on el2_wild_access el2_hostile_guests
			el2_host_irq el2_time_slice el2_core_reuse el2_demo)
		set_tests_properties(${_t} PROPERTIES LABELS "aarch64-el2" SKIP_RETURN_CODE 77
			TIMEOUT 120)
	endforeach()
	# Shares of a core are measured in the board's time: under -icount that time counts
	# instructions, so the measure does not depend on the host's load (without it, a busy
	# 2-core host running QEMU's 4 cores skewed the 2:1 shares past the test's 20 %).
	set_tests_properties(el2_time_slice PROPERTIES
		ENVIRONMENT "HVLIB_EL2_QEMU_ARGS=-icount shift=0,sleep=off")
	# Debian's arm64 kernel and busybox from the package archive (cached outside the tree).
	add_test(NAME el2_linux_boot COMMAND bash "${PROJECT_SOURCE_DIR}/tests/el2/linux.sh" "${HVLIB_EL2_DIR}")
	set_tests_properties(el2_linux_boot PROPERTIES LABELS "aarch64-el2;linux-guest"
		SKIP_RETURN_CODE 77 TIMEOUT 400)
	add_test(NAME el2_linux_isolation
		COMMAND bash "${PROJECT_SOURCE_DIR}/tests/el2/linux.sh" "${HVLIB_EL2_DIR}" peek)
	set_tests_properties(el2_linux_isolation PROPERTIES LABELS "aarch64-el2;linux-guest"
		SKIP_RETURN_CODE 77 TIMEOUT 400)
	add_test(NAME el2_bench COMMAND bash "${PROJECT_SOURCE_DIR}/tests/el2/bench.sh" "${HVLIB_EL2_DIR}")
	set_tests_properties(el2_bench PROPERTIES LABELS "aarch64-el2;bench" SKIP_RETURN_CODE 77
		TIMEOUT 180)
endif()
