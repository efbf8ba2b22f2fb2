// rust_lz.rs -- an LZ77-style compressor in Rust over generated data: buffers grown by push
// (Vec doubling, so memory.grow in the guest), a hash-chain head table, byte comparisons.
// The program shape of a compression tool: allocation and growth, not one hot loop. Prints
// "rust_lz CHECKSUM" like the C kernels (bench/kernels/bench.h).
// A run-time value the optimiser cannot see through (std::hint::black_box is not stable in
// Debian's rustc 1.63), so the problem size is not constant-folded.
fn opaque<T: Copy>(v: T) -> T {
    unsafe { std::ptr::read_volatile(&v) }
}

fn main() {
    let rounds: u64 = opaque(9);
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut h: u64 = 0;
    for round in 0..rounds {
        let n = 1usize << (20 + (round % 3));
        let mut data: Vec<u8> = Vec::new();
        while data.len() < n {
            let r = rnd();
            let run = 1 + (r % 24) as usize;
            let byte = (r >> 8) as u8 & 0x3f;
            for i in 0..run {
                data.push(byte.wrapping_add((i % 3) as u8));
            }
        }
        let mut head = vec![u32::MAX; 1 << 16];
        let mut out: Vec<u8> = Vec::new();
        let mut i = 0usize;
        while i + 3 < data.len() {
            let key = ((data[i] as usize) << 10 ^ (data[i + 1] as usize) << 5 ^ data[i + 2] as usize)
                & 0xffff;
            let cand = head[key];
            head[key] = i as u32;
            if cand != u32::MAX && data[cand as usize..cand as usize + 3] == data[i..i + 3] {
                let mut len = 3;
                while i + len < data.len() && len < 255 && data[cand as usize + len] == data[i + len] {
                    len += 1;
                }
                out.push(0xff);
                out.push(len as u8);
                out.extend_from_slice(&((i - cand as usize) as u32).to_le_bytes());
                i += len;
            } else {
                out.push(data[i]);
                i += 1;
            }
        }
        for chunk in out.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(w)).wrapping_mul(0xff51afd7ed558ccd);
        }
        h ^= out.len() as u64;
    }
    println!("rust_lz {:016x}", h);
}
