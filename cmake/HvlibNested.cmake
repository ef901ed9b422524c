# SPDX-License-Identifier: MIT
#
# Tests in the KVM-in-QEMU harness (docs/harness.md): QEMU's emulator runs a Debian kernel with
# kvm-amd (nested SVM), whose /dev/kvm has hardware semantics at usable speed. Guest material
# comes from Debian's packages through scripts/fetch-guests.sh, a fixture of its own so the
# first download stays out of the other tests' time-outs. x86-64 hosts only; not in sanitizer
# builds (the tests link the build's objects statically into programs run inside L1, or carry
# the itests' shared libraries there, without sanitizer runtimes set up for L1).
include_guard(GLOBAL)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND NOT HVLIB_SANITIZE)
	add_test(NAME linux.fetch_guests COMMAND "${PROJECT_SOURCE_DIR}/scripts/fetch-guests.sh")
	set_tests_properties(linux.fetch_guests PROPERTIES
		LABELS "linux-guest;kvm-nested" FIXTURES_SETUP hvlib_guests TIMEOUT 900)
	add_test(NAME linux.kvm_in_l1
		COMMAND "${PROJECT_SOURCE_DIR}/tests/linux/kvm_in_l1.sh" --build "${CMAKE_BINARY_DIR}"
			--timeout 240)
	set_tests_properties(linux.kvm_in_l1 PROPERTIES
		LABELS "kvm-nested;linux-guest" FIXTURES_REQUIRED hvlib_guests SKIP_RETURN_CODE 77
		TIMEOUT 300 RESOURCE_LOCK qemu_tcg PROCESSORS 2)
	# The KVM integration tests (itest_*, dynamically linked) with their shared libraries, run
	# in L1: about 30 s (10 s boot, 17 s of tests, most of it destroy's 50 VM creations).
	add_test(NAME linux.itests_in_l1
		COMMAND "${PROJECT_SOURCE_DIR}/tests/linux/itests_in_l1.sh" --build "${CMAKE_BINARY_DIR}"
			--timeout 300 --test-timeout 60)
	set_tests_properties(linux.itests_in_l1 PROPERTIES
		LABELS "kvm-nested;linux-guest" FIXTURES_REQUIRED hvlib_guests SKIP_RETURN_CODE 77
		TIMEOUT 360 RESOURCE_LOCK qemu_tcg PROCESSORS 2)
	# Debian's kernel under hvrun in L1 (tests/linux/hvrun_linux.sh): 2 vCPUs, virtio-blk,
	# virtio-console, two VMs pinging over the switch, power-off and reboot policies. About
	# 2 minutes.
	if(TARGET hvrun)
		add_test(NAME linux.hvrun
			COMMAND "${PROJECT_SOURCE_DIR}/tests/linux/hvrun_linux.sh"
				--build "${CMAKE_BINARY_DIR}" --timeout 600)
		set_tests_properties(linux.hvrun PROPERTIES
			LABELS "kvm-nested;linux-guest" FIXTURES_REQUIRED hvlib_guests
			SKIP_RETURN_CODE 77 TIMEOUT 660 RESOURCE_LOCK qemu_tcg PROCESSORS 2)
	endif()
endif()

# hvrun's refusals (bad images, memory, overlapping devices, bad options) on this host's own
# /dev/kvm: no guest runs, so it is quick; in sanitizer builds too.
if(TARGET hvrun)
	add_test(NAME linux.hvrun_errors
		COMMAND "${PROJECT_SOURCE_DIR}/tests/linux/hvrun_errors.sh" --hvrun "$<TARGET_FILE:hvrun>")
	set_tests_properties(linux.hvrun_errors PROPERTIES
		LABELS "kvm;linux-guest" FIXTURES_REQUIRED hvlib_guests SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
