// rust_bigint.rs -- 1024-bit modular exponentiation in Rust: Montgomery multiplication over
// 16 u64 limbs with u128 products (what big-integer crates do). In wasm every u128 product is
// a call of compiler-builtins' __multi3, which Kiln recognises (toolchain/idiom_mul128.c).
// Prints "rust_bigint CHECKSUM" like the C kernels.
// A run-time value the optimiser cannot see through (std::hint::black_box is not stable in
// Debian's rustc 1.63), so the problem size is not constant-folded.
fn opaque<T: Copy>(v: T) -> T {
    unsafe { std::ptr::read_volatile(&v) }
}

const L: usize = 16;

// -m^-1 mod 2^64 for odd m0 (Newton's iteration).
fn neg_inv(m0: u64) -> u64 {
    let mut x: u64 = 1;
    for _ in 0..6 {
        x = x.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(x)));
    }
    x.wrapping_neg()
}

// a * b * 2^(-64L) mod m (CIOS Montgomery multiplication).
fn mont_mul(a: &[u64; L], b: &[u64; L], m: &[u64; L], minv: u64) -> [u64; L] {
    let mut t = [0u64; L + 2];
    for i in 0..L {
        let mut carry: u128 = 0;
        for j in 0..L {
            let s = t[j] as u128 + (a[j] as u128) * (b[i] as u128) + carry;
            t[j] = s as u64;
            carry = s >> 64;
        }
        let s = t[L] as u128 + carry;
        t[L] = s as u64;
        t[L + 1] = (s >> 64) as u64;
        let q = t[0].wrapping_mul(minv);
        let mut carry: u128 = ((t[0] as u128) + (q as u128) * (m[0] as u128)) >> 64;
        for j in 1..L {
            let s = t[j] as u128 + (q as u128) * (m[j] as u128) + carry;
            t[j - 1] = s as u64;
            carry = s >> 64;
        }
        let s = t[L] as u128 + carry;
        t[L - 1] = s as u64;
        t[L] = t[L + 1] + (s >> 64) as u64;
    }
    let mut r = [0u64; L];
    r.copy_from_slice(&t[..L]);
    // Subtract m once if r >= m (t[L] is the bit above).
    let mut ge = t[L] != 0;
    if !ge {
        ge = true;
        for j in (0..L).rev() {
            if r[j] != m[j] {
                ge = r[j] > m[j];
                break;
            }
        }
    }
    if ge {
        let mut borrow = 0u64;
        for j in 0..L {
            let (d1, b1) = r[j].overflowing_sub(m[j]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            r[j] = d2;
            borrow = (b1 | b2) as u64;
        }
    }
    r
}

fn main() {
    let rounds = opaque(300u32);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut m = [0u64; L];
    for limb in m.iter_mut() {
        *limb = rnd();
    }
    m[0] |= 1;
    m[L - 1] |= 1 << 63;
    let minv = neg_inv(m[0]);
    let mut h: u64 = 0;
    let mut x = [0u64; L];
    for limb in x.iter_mut() {
        *limb = rnd() >> 1;
    }
    for _ in 0..rounds {
        // x^e with a 1024-bit exponent, square-and-multiply in the Montgomery domain.
        let mut acc = x;
        for k in 0..L {
            let e = rnd();
            for bit in (0..64).rev() {
                acc = mont_mul(&acc, &acc, &m, minv);
                if (e >> bit) & 1 == 1 {
                    acc = mont_mul(&acc, &x, &m, minv);
                }
            }
            h = (h ^ acc[k]).wrapping_mul(0xff51afd7ed558ccd);
        }
        x = acc;
        x[L - 1] >>= 1;
    }
    println!("rust_bigint {:016x}", h);
}
