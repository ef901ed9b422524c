# SPDX-License-Identifier: MIT
#
# The bare-metal x86 VMX build and its tests. Two roles:
#
# 1. Included by the host build (CMakeLists.txt, with tests on): registers the CTest tests of
#    label x86-vmx. They run scripts/vmx-test.sh, which configures examples/06-vmx-firmware
#    as a separate, freestanding project in <build>/vmx-firmware, makes a GRUB ISO and boots
#    it once in Bochs (cpu model corei7_skylake_x: VMX with EPT and unrestricted guest):
#      vmx_firmware_boot   build + boot; fixture for the tests below
#      vmx_basic, vmx_triple_fault, vmx_reset, vmx_timer, vmx_hostile, vmx_isolation,
#      vmx_unmap, vmx_smp, vmx_no_leaks
#                          assert on that boot's port-0xE9 log
#      vmx_refuses_cpu_without_vmx, vmx_refuses_cpu_without_preemption_timer
#                          boot the same ISO on Bochs CPU models that lack VMX features
#      vmx_linux           (labels x86-vmx, linux-guest) Debian's kernel and a busybox
#                          initramfs as multiboot2 modules: the firmware boots them in a VM to
#                          the guest's init line; skipped if the kernel cannot be fetched
#    A machine without the tools skips them (exit 77, with the reason).
#
# 2. Included by examples/06-vmx-firmware/CMakeLists.txt (project hvlib_vmx_firmware):
#    hv_vmx_firmware() builds the core, the device library, backends/x86-vmx and the firmware
#    freestanding for x86_64 into hvfw.elf (multiboot2), the test guests into flat binaries,
#    and hvfw.iso with grub-mkrescue.

set(_hv_vmx_root "${CMAKE_CURRENT_LIST_DIR}/..")
get_filename_component(_hv_vmx_root "${_hv_vmx_root}" ABSOLUTE)

if(PROJECT_NAME STREQUAL "hvlib_vmx_firmware")
	function(hv_vmx_firmware)
		set(root "${_hv_vmx_root}")
		set(fw "${root}/examples/06-vmx-firmware")
		set(guests basic doomed survivor timer iso bench hostile smp)

		file(GLOB core CONFIGURE_DEPENDS
			"${root}/lib/*.c" "${root}/lib/arch/*/*.c" "${root}/lib/devices/*.c"
			"${root}/lib/loader/*.c" "${root}/lib/virtio/*.c" "${root}/lib/x86/*.c")
		list(REMOVE_ITEM core "${root}/lib/platform_hosted.c")
		file(GLOB backend CONFIGURE_DEPENDS "${root}/backends/x86-vmx/*.c")

		set(HV_BACKEND_DECLS "extern const struct hv_backend hv__backend_x86_vmx;\n")
		set(HV_BACKEND_LIST "&hv__backend_x86_vmx,")
		configure_file("${root}/cmake/hv_backends.c.in"
			"${CMAKE_BINARY_DIR}/generated/hv_backends.c" @ONLY)

		set(bins "")
		file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/guests")
		foreach(g IN LISTS guests)
			set(obj "${CMAKE_BINARY_DIR}/guests/${g}.o")
			set(bin "${CMAKE_BINARY_DIR}/guests/${g}.bin")
			add_custom_command(OUTPUT "${bin}"
				COMMAND "${CMAKE_C_COMPILER}" -c -I "${fw}/guests" -o "${obj}"
					"${fw}/guests/${g}.S"
				COMMAND "${CMAKE_LINKER}" -nostdlib -N -Ttext=0x8000 --oformat binary
					-o "${bin}" "${obj}"
				DEPENDS "${fw}/guests/${g}.S" "${fw}/guests/common.inc"
				COMMENT "Guest ${g}.bin" VERBATIM)
			list(APPEND bins "${bin}")
		endforeach()
		set_source_files_properties("${fw}/guests.S" PROPERTIES
			OBJECT_DEPENDS "${bins}"
			COMPILE_OPTIONS "-Wa,-I,${CMAKE_BINARY_DIR}/guests")

		add_executable(hvfw.elf
			"${fw}/boot.S" "${fw}/guests.S" "${fw}/main.c" "${fw}/console.c"
			"${fw}/platform.c" ${core} ${backend}
			"${CMAKE_BINARY_DIR}/generated/hv_backends.c")
		target_include_directories(hvfw.elf PRIVATE "${root}/include" "${root}/lib"
			"${root}/backends/x86-vmx" "${fw}")
		target_compile_definitions(hvfw.elf PRIVATE HVLIB_STATIC)
		target_compile_options(hvfw.elf PRIVATE
			$<$<COMPILE_LANGUAGE:C>:-std=c11 -O2 -g -Wall -Wextra -Werror>
			-ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone
			-mgeneral-regs-only -fno-asynchronous-unwind-tables)
		target_link_options(hvfw.elf PRIVATE -nostdlib -static -no-pie
			-T "${fw}/linker.ld" -Wl,-z,max-page-size=4096 -Wl,--build-id=none)
		set_target_properties(hvfw.elf PROPERTIES LINK_DEPENDS "${fw}/linker.ld")

		find_program(HV_GRUB_MKRESCUE grub-mkrescue)
		if(HV_GRUB_MKRESCUE)
			set(iso "${CMAKE_BINARY_DIR}/iso")
			file(WRITE "${CMAKE_BINARY_DIR}/grub.cfg"
				"set timeout=0\nset default=0\n"
				"menuentry \"hvlib VMX firmware\" {\n"
				"\tmultiboot2 /boot/hvfw.elf\n\tboot\n}\n")
			add_custom_command(OUTPUT "${CMAKE_BINARY_DIR}/hvfw.iso"
				COMMAND "${CMAKE_COMMAND}" -E make_directory "${iso}/boot/grub"
				COMMAND "${CMAKE_COMMAND}" -E copy "$<TARGET_FILE:hvfw.elf>"
					"${iso}/boot/hvfw.elf"
				COMMAND "${CMAKE_COMMAND}" -E copy "${CMAKE_BINARY_DIR}/grub.cfg"
					"${iso}/boot/grub/grub.cfg"
				COMMAND "${HV_GRUB_MKRESCUE}" -o "${CMAKE_BINARY_DIR}/hvfw.iso" "${iso}"
					2> "${CMAKE_BINARY_DIR}/grub-mkrescue.log"
				DEPENDS hvfw.elf "${CMAKE_BINARY_DIR}/grub.cfg"
				COMMENT "GRUB ISO hvfw.iso")
			add_custom_target(hvfw_iso ALL DEPENDS "${CMAKE_BINARY_DIR}/hvfw.iso")
		endif()
	endfunction()
	return()
endif()

# ---- role 1: tests in the host build ------------------------------------------------------------

if(NOT (CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$"))
	hv_add_skipped_test(vmx_firmware_boot "the x86 VMX firmware needs an x86_64 host compiler"
		x86-vmx)
	return()
endif()

set(_hv_vmx_script "${_hv_vmx_root}/scripts/vmx-test.sh")
set(_hv_vmx_out "${CMAKE_BINARY_DIR}/vmx-firmware")

add_test(NAME vmx_firmware_boot
	COMMAND bash "${_hv_vmx_script}" boot "${_hv_vmx_root}" "${_hv_vmx_out}")
set_tests_properties(vmx_firmware_boot PROPERTIES
	LABELS x86-vmx SKIP_RETURN_CODE 77 TIMEOUT 900 FIXTURES_SETUP hv_vmx_boot)

# vmx_<scenario>: the firmware's verdict and what the guests said must both be in the log.
function(hv_vmx_scenario name)
	add_test(NAME vmx_${name}
		COMMAND bash "${_hv_vmx_script}" check "${_hv_vmx_out}" ${name} ${ARGN})
	set_tests_properties(vmx_${name} PROPERTIES
		LABELS x86-vmx SKIP_RETURN_CODE 77 TIMEOUT 30 FIXTURES_REQUIRED hv_vmx_boot)
endfunction()

# The same image on CPU models without VMX, and with VMX but no preemption timer.
function(hv_vmx_refusal name model)
	add_test(NAME vmx_${name}
		COMMAND bash "${_hv_vmx_script}" refuse "${_hv_vmx_out}" ${model} ${ARGN})
	set_tests_properties(vmx_${name} PROPERTIES
		LABELS x86-vmx SKIP_RETURN_CODE 77 TIMEOUT 300 FIXTURES_REQUIRED hv_vmx_boot)
endfunction()

hv_vmx_refusal(refuses_cpu_without_vmx athlon64_clawhammer
	"x86-vmx: the CPU has no VMX (CPUID.1:ECX.VMX is 0)")
hv_vmx_refusal(refuses_cpu_without_preemption_timer core2_penryn_t9600
	"x86-vmx: the CPU lacks pin-based controls 0x40")

# An unmodified Linux (2 vCPUs) to its init line, in its own Bochs boot (60-80 s here).
add_test(NAME vmx_linux
	COMMAND bash "${_hv_vmx_script}" linux "${_hv_vmx_root}" "${_hv_vmx_out}")
set_tests_properties(vmx_linux PROPERTIES
	LABELS "x86-vmx;linux-guest" SKIP_RETURN_CODE 77 TIMEOUT 600
	ENVIRONMENT "HVLIB_VMX_TIMEOUT=420" FIXTURES_REQUIRED hv_vmx_boot)

hv_vmx_scenario(basic
	"[basic] basic: hello from real mode" "[basic] basic: cpuid ok"
	"[basic] basic: wrmsr 0x12345 gave #GP" "[basic] basic: rep outsb"
	"[basic] basic: rep insb read 16 bytes" "[basic] basic: long mode"
	"[basic] basic: all checks passed")
hv_vmx_scenario(triple_fault
	"[doomed] doomed: triple fault now" "[survivor] survivor: tick 3"
	"[survivor] survivor: done")
hv_vmx_scenario(reset "[survivor] survivor: done")
hv_vmx_scenario(timer
	"[timer] timer: 5 periodic ticks, none early" "[timer] timer: uart interrupt via ioapic"
	"[timer] timer: all checks passed")
hv_vmx_scenario(hostile
	"[hostile] hostile: every attempt refused")
hv_vmx_scenario(unmap
	"unmap: fault, exit fault (access to unmapped address), gpa 0xfffffff0")
hv_vmx_scenario(smp
	"[smp] smp: boot CPU in real mode" "[smp] smp: AP in real mode"
	"[smp] smp: the AP started with APIC ID 1"
	"[smp] smp: the boot CPU runs on after the AP stopped")
hv_vmx_scenario(no_leaks)
hv_vmx_scenario(isolation
	"[iso1] iso1: memory intact, all checks passed"
	"[iso2] iso2: memory intact, all checks passed")
