// variants.rs -- Rust's u128 multiply (compiler-builtins' __multi3) for the test of the
// multiply idiom (test_mul128.sh): the same sweep as variants.c's, one checksum.
#[inline(never)]
fn mul(a: u128, b: u128) -> u128 {
    a.wrapping_mul(b)
}

fn main() {
    let mut state: u64 = 0x9E3779B97F4A7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut sum: u128 = 0;
    for _ in 0..20000 {
        let a = ((next() as u128) << 64) | next() as u128;
        let b = ((next() as u128) << 64) | next() as u128;
        sum = sum.wrapping_mul(31).wrapping_add(mul(a, b));
    }
    println!("rust {:032x}", sum);
}
