/* patch.c -- a tiny binary patch format, compiled to wasm by add_wasm_module().
 *
 * A patch is a sequence of records applied to a 4 KiB target buffer:
 *   'W' offset:u32le length:u16le bytes[length]   copy the bytes to target[offset]
 *   'F' offset:u32le length:u16le byte            fill target[offset..+length) with byte
 *   'E'                                           end of patch
 * Every applied record is reported to the host through the import host.on_record.
 *
 * The applier trusts the offsets: a hostile patch can write anywhere. That is the kind of
 * bug the sandbox is for. Inside wasm the write stays within the module's own linear memory
 * or traps ("out of bounds memory access"); the host's memory is never reached.
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("host"), import_name(name)))

enum { BUFFER_SIZE = 4096 };

IMPORT("on_record") void host_on_record(int32_t kind, uint32_t offset, uint32_t length);

static uint8_t target[BUFFER_SIZE];
static uint8_t patch[BUFFER_SIZE];

/* Where the host puts the patch and reads the result (addresses in linear memory). The
 * wrappers are PREFIX_ + the export name: "input" -> patch_input (docs/abi.md, name
 * mangling). */
EXPORT("target") uint8_t *target_buffer(void)
{
    return target;
}
EXPORT("input") uint8_t *input_buffer(void)
{
    return patch;
}
EXPORT("capacity") uint32_t capacity(void)
{
    return BUFFER_SIZE;
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t read_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* Applies the patch_length bytes at input(); returns the number of records applied,
 * or -1 if the patch is malformed (truncated, unknown record, too long). */
EXPORT("apply") int32_t apply(uint32_t patch_length)
{
    if (patch_length > BUFFER_SIZE)
        return -1;
    uint32_t pos = 0;
    int32_t records = 0;
    while (pos < patch_length) {
        uint8_t kind = patch[pos++];
        if (kind == 'E')
            return records;
        if (patch_length - pos < 6)
            return -1;
        uint32_t offset = read_u32(patch + pos);
        uint32_t length = read_u16(patch + pos + 4);
        pos += 6;
        uint8_t *dst = target + offset; /* not checked: the bug */
        if (kind == 'W') {
            if (patch_length - pos < length)
                return -1;
            for (uint32_t i = 0; i < length; i++)
                dst[i] = patch[pos + i];
            pos += length;
        } else if (kind == 'F') {
            if (patch_length - pos < 1)
                return -1;
            for (uint32_t i = 0; i < length; i++)
                dst[i] = patch[pos];
            pos += 1;
        } else {
            return -1;
        }
        host_on_record(kind, offset, length);
        records++;
    }
    return records;
}
