/* SPDX-License-Identifier: MIT */
/**
 * @file hvlib.h
 * @brief The umbrella header: include this one.
 *
 * @mainpage hvlib
 *
 * hvlib is a hypervisor as a C library. A program (on Linux, over KVM) or a firmware image
 * (bare metal, at AArch64 EL2 or in x86 VMX root mode) links it and defines virtual machines
 * the way an engineer assembles a board: a memory map, vCPUs, interrupt routes and devices.
 *
 * Start with @ref vm, @ref memory, @ref vcpu, @ref device and @ref irq; every fallible call
 * returns an @ref status code.
 */
#ifndef HVLIB_HVLIB_H
#define HVLIB_HVLIB_H

#include "defs.h"
#include "status.h"
#include "version.h"
#include "platform.h"
#include "backend.h"
#include "exit.h"
#include "vm.h"
#include "memory.h"
#include "vcpu.h"
#include "device.h"
#include "irq.h"
#include "hostdev.h"
#include "devices.h"
#include "loader.h"
#include "devtree.h"
#include "pc.h"

#endif /* HVLIB_HVLIB_H */
