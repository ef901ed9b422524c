/* SPDX-License-Identifier: MIT */
/*
 * ELF32/ELF64 images: a parser that checks every field it uses against the image's size,
 * and the plain ELF loader (segments to their physical addresses).
 */
#include "loader.h"

#define HV__EI_NIDENT 16
#define HV__ELFCLASS32 1
#define HV__ELFCLASS64 2
#define HV__ELFDATA2LSB 1
#define HV__ELFDATA2MSB 2
#define HV__EV_CURRENT 1
#define HV__ET_EXEC 2
#define HV__ET_DYN 3
#define HV__PN_XNUM 0xffffu
#define HV__EM_386 3
#define HV__EM_X86_64 62
#define HV__EM_AARCH64 183

#define HV__EHDR32_SIZE 52u
#define HV__EHDR64_SIZE 64u
#define HV__PHDR32_SIZE 32u
#define HV__PHDR64_SIZE 56u

/* Is [off, off + len) inside an image of @p size bytes? */
static bool hv__in_image(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

void hv__elf_phdr(const struct hv__elf *e, uint32_t i, struct hv__elf_seg *s)
{
	const uint8_t *p = e->img + e->phoff + (uint64_t)i * e->phentsize;

	s->type = hv__ld32(p);
	if (e->is64) {
		s->offset = hv__ld64(p + 8);
		s->vaddr = hv__ld64(p + 16);
		s->paddr = hv__ld64(p + 24);
		s->filesz = hv__ld64(p + 32);
		s->memsz = hv__ld64(p + 40);
		s->align = hv__ld64(p + 48);
	} else {
		s->offset = hv__ld32(p + 4);
		s->vaddr = hv__ld32(p + 8);
		s->paddr = hv__ld32(p + 12);
		s->filesz = hv__ld32(p + 16);
		s->memsz = hv__ld32(p + 20);
		s->align = hv__ld32(p + 28);
	}
}

static hv_status_t hv__elf_check_phdrs(struct hv__elf *e)
{
	struct hv__elf_seg s;
	uint32_t i;

	e->loads = 0;
	e->lo = UINT64_MAX;
	e->hi = 0;
	for (i = 0; i < e->phnum; i++) {
		hv__elf_phdr(e, i, &s);
		if (s.type != HV__PT_LOAD && s.type != HV__PT_NOTE)
			continue;
		if (!hv__in_image(s.offset, s.filesz, e->size))
			return HV_ERR_BAD_IMAGE;
		if (s.type == HV__PT_NOTE)
			continue;
		if (s.memsz < s.filesz)
			return HV_ERR_BAD_IMAGE;
		if (s.memsz == 0)
			continue;
		if (s.paddr + (s.memsz - 1) < s.paddr)
			return HV_ERR_BAD_IMAGE;
		/* ELF32 addresses are 32-bit: a segment may not run past 4 GiB. */
		if (!e->is64 && s.paddr + (s.memsz - 1) > UINT32_MAX)
			return HV_ERR_BAD_IMAGE;
		e->loads++;
		if (s.paddr < e->lo)
			e->lo = s.paddr;
		if (s.paddr + (s.memsz - 1) > e->hi)
			e->hi = s.paddr + (s.memsz - 1);
	}
	return e->loads != 0 ? HV_OK : HV_ERR_BAD_IMAGE;
}

hv_status_t hv__elf_parse(struct hv__elf *e, const void *image, size_t size)
{
	const uint8_t *p = image;
	uint32_t hsize, phsize;
	uint16_t type;

	hv__memset(e, 0, sizeof(*e));
	if (size < HV__EI_NIDENT || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
		return HV_ERR_BAD_IMAGE;
	if (p[4] != HV__ELFCLASS32 && p[4] != HV__ELFCLASS64)
		return HV_ERR_BAD_IMAGE;
	if (p[5] == HV__ELFDATA2MSB)
		return HV_ERR_UNSUPPORTED;
	if (p[5] != HV__ELFDATA2LSB || p[6] != HV__EV_CURRENT)
		return HV_ERR_BAD_IMAGE;
	e->is64 = p[4] == HV__ELFCLASS64;
	hsize = e->is64 ? HV__EHDR64_SIZE : HV__EHDR32_SIZE;
	phsize = e->is64 ? HV__PHDR64_SIZE : HV__PHDR32_SIZE;
	if (size < hsize)
		return HV_ERR_BAD_IMAGE;
	type = hv__ld16(p + 16);
	if ((type != HV__ET_EXEC && type != HV__ET_DYN) || hv__ld32(p + 20) != HV__EV_CURRENT)
		return HV_ERR_BAD_IMAGE;
	e->img = p;
	e->size = size;
	e->machine = hv__ld16(p + 18);
	if (e->is64) {
		e->entry = hv__ld64(p + 24);
		e->phoff = hv__ld64(p + 32);
		e->phentsize = hv__ld16(p + 54);
		e->phnum = hv__ld16(p + 56);
	} else {
		e->entry = hv__ld32(p + 24);
		e->phoff = hv__ld32(p + 28);
		e->phentsize = hv__ld16(p + 42);
		e->phnum = hv__ld16(p + 44);
	}
	/* PN_XNUM keeps the real count in section 0: no loader of ours needs that many. */
	if (e->phnum == 0 || e->phnum == HV__PN_XNUM || e->phentsize != phsize)
		return HV_ERR_BAD_IMAGE;
	if (!hv__in_image(e->phoff, (uint64_t)e->phnum * phsize, size))
		return HV_ERR_BAD_IMAGE;
	return hv__elf_check_phdrs(e);
}

hv_status_t hv__elf_check_loads(const struct hv__elf *e, const hv_vm_t *vm, unsigned types)
{
	struct hv__elf_seg s;
	hv_status_t st;
	uint32_t i;

	for (i = 0; i < e->phnum; i++) {
		hv__elf_phdr(e, i, &s);
		if (s.type != HV__PT_LOAD || s.memsz == 0)
			continue;
		st = hv__ld_check(vm, s.paddr, s.memsz, types);
		if (st != HV_OK)
			return st;
	}
	return HV_OK;
}

void hv__elf_load(const struct hv__elf *e, hv_vm_t *vm)
{
	struct hv__elf_seg s;
	uint32_t i;

	for (i = 0; i < e->phnum; i++) {
		hv__elf_phdr(e, i, &s);
		if (s.type != HV__PT_LOAD || s.memsz == 0)
			continue;
		hv__ld_write(vm, s.paddr, e->img + s.offset, s.filesz);
		hv__ld_zero(vm, s.paddr + s.filesz, s.memsz - s.filesz);
	}
}

static uint64_t hv__align_up(uint64_t v, uint64_t align)
{
	return (v + (align - 1)) & ~(align - 1);
}

hv_status_t hv__elf_note(const struct hv__elf *e, const char *name, uint32_t type,
			 const uint8_t **desc, uint32_t *desc_size)
{
	uint32_t name_size = (uint32_t)hv__strlen(name) + 1;
	struct hv__elf_seg s;
	uint32_t i;

	for (i = 0; i < e->phnum; i++) {
		uint64_t off, end, align;

		hv__elf_phdr(e, i, &s);
		if (s.type != HV__PT_NOTE)
			continue;
		/* Notes are 4-byte aligned, except in segments aligned to 8 (GNU properties). */
		align = s.align == 8 ? 8 : 4;
		off = s.offset;
		end = s.offset + s.filesz; /* inside the image: checked by hv__elf_parse */
		while (end - off >= 12) {
			uint32_t nsz = hv__ld32(e->img + off);
			uint32_t dsz = hv__ld32(e->img + off + 4);
			uint32_t ntype = hv__ld32(e->img + off + 8);
			uint64_t name_off = off + 12;
			uint64_t desc_off = name_off + hv__align_up(nsz, align);
			uint64_t next;

			if (desc_off > end || hv__align_up(dsz, align) > end - desc_off) {
				/* The last note's padding may be missing; its contents may not. */
				if (desc_off > end || dsz > end - desc_off)
					return HV_ERR_BAD_IMAGE;
				next = end;
			} else {
				next = desc_off + hv__align_up(dsz, align);
			}
			if (nsz > end - name_off)
				return HV_ERR_BAD_IMAGE;
			if (ntype == type && nsz == name_size &&
			    hv__memcmp(e->img + name_off, name, name_size) == 0) {
				*desc = e->img + desc_off;
				*desc_size = dsz;
				return HV_OK;
			}
			off = next;
		}
	}
	return HV_ERR_NOT_FOUND;
}

static bool hv__elf_machine_ok(const hv_vm_t *vm, uint16_t machine)
{
	switch (vm->backend->arch) {
	case HV_ARCH_X86_64:
		return machine == HV__EM_X86_64 || machine == HV__EM_386;
	case HV_ARCH_AARCH64:
		return machine == HV__EM_AARCH64;
	default:
		return false;
	}
}

hv_status_t hv_elf_load(hv_vm_t *vm, const void *image, size_t size, hv_gpa_t *entry)
{
	struct hv__elf e;
	struct hv__elf_seg s;
	hv_gpa_t pc;
	hv_status_t st;
	uint32_t i;

	if (vm == NULL || image == NULL)
		return HV_ERR_INVALID_ARG;
	if (!hv__vm_quiescent(vm))
		return HV_ERR_STATE;
	st = hv__elf_parse(&e, image, size);
	if (st != HV_OK)
		return st;
	if (!hv__elf_machine_ok(vm, e.machine))
		return HV_ERR_UNSUPPORTED;
	st = hv__elf_check_loads(&e, vm, HV__LD_RAM | HV__LD_ROM);
	if (st != HV_OK)
		return st;
	hv__elf_load(&e, vm);
	pc = e.entry;
	for (i = 0; i < e.phnum; i++) {
		hv__elf_phdr(&e, i, &s);
		if (s.type == HV__PT_LOAD && s.memsz != 0 && e.entry >= s.vaddr &&
		    e.entry - s.vaddr < s.memsz) {
			pc = s.paddr + (e.entry - s.vaddr);
			break;
		}
	}
	if (entry != NULL)
		*entry = pc;
	return HV_OK;
}
