// SPDX-License-Identifier: MIT
//
// The seed's registry structure, measured the way grt_bench measures ours:
// a BTreeMap<&'static str, Box<dyn Any>> (the crate's Grt keeps one), looked
// up with get + downcast_ref, as its get_fast_mutex::<T> does. No locking:
// the seed takes none on the get path (that is its data race, not a cost we
// can compare). Keys, random order, key building in a stack buffer, CPU time
// per pass and the subtraction of the key-building cost are those of
// grt_bench.c, so the two programs' figures compare.
//
// Built with rustc alone (std only, Rust 1.63 as in Debian 12) by
// bench/run-bench.sh. Output, one line per key count:
//   seed_map_get keys=N threads=1 ns_per_get=X
use std::any::Any;
use std::collections::BTreeMap;

const GETS: u32 = 1 << 20;
const PASSES: u32 = 5;
const KEY_COUNTS: [u32; 6] = [1, 10, 100, 1000, 10000, 100000];
const TEMPLATE: &[u8; 32] = b"driver.device.id00000000.lock\0\0\0";
const KEY_LENGTH: usize = 29;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, time: *mut Timespec) -> i32;
}

const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

/// Keeps the optimiser from seeing through a value (std::hint::black_box is
/// newer than Debian 12's rustc).
#[inline(always)]
fn opaque<T: Copy>(value: T) -> T {
    // SAFETY: reads a live local.
    unsafe { std::ptr::read_volatile(&value) }
}

fn cpu_ns() -> f64 {
    let mut time = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and a pointer to a live Timespec.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut time) };
    time.tv_sec as f64 * 1e9 + time.tv_nsec as f64
}

// What the seed's FastMutex<u32> would be boxed as; only its type matters.
struct FastMutexU32 {
    value: u32,
}

struct Keys {
    four_digits: Vec<u32>,
}

impl Keys {
    fn new() -> Keys {
        let four_digits = (0..10000u32)
            .map(|n| {
                (b'0' as u32 + n / 1000)
                    | (b'0' as u32 + n / 100 % 10) << 8
                    | (b'0' as u32 + n / 10 % 10) << 16
                    | (b'0' as u32 + n % 10) << 24
            })
            .collect();
        Keys { four_digits }
    }

    // The 8 digits of number into bytes 16..24, one aligned 8-byte store.
    #[inline(always)]
    fn set(&self, key: &mut [u64; 4], number: u32) {
        key[2] = self.four_digits[(number / 10000) as usize] as u64
            | (self.four_digits[(number % 10000) as usize] as u64) << 32;
    }
}

fn template_words() -> [u64; 4] {
    let mut words = [0u64; 4];
    for (index, word) in words.iter_mut().enumerate() {
        *word = u64::from_le_bytes(TEMPLATE[index * 8..index * 8 + 8].try_into().unwrap());
    }
    words
}

#[inline(always)]
fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

#[inline(always)]
fn pick(state: &mut u64, count: u32) -> u32 {
    (((next_random(state) & 0xFFFF_FFFF) * count as u64) >> 32) as u32
}

#[inline(always)]
fn as_str(key: &[u64; 4]) -> &str {
    // SAFETY: the words hold ASCII; 29 bytes of 32.
    unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(key.as_ptr() as *const u8, KEY_LENGTH))
    }
}

/// ns per get (CPU time) over PASSES passes after a warm-up; mode 1 builds
/// keys only (the cost subtracted).
fn run(map: &BTreeMap<&'static str, Box<dyn Any>>, keys: &Keys, count: u32, key_only: bool) -> f64 {
    let mut state = 0x9E37_79B9_7F4A_7C15u64.wrapping_add(count as u64) | 1;
    let mut key = template_words();
    let mut sink = 0u64;
    let mut start = 0.0;

    for pass in 0..=PASSES {
        if pass == 1 {
            start = cpu_ns();
        }
        for _ in 0..GETS {
            keys.set(&mut key, pick(&mut state, count));
            let text = opaque(as_str(&key));
            if key_only {
                sink = sink.wrapping_add(text.len() as u64 ^ key[2]);
                continue;
            }
            match map.get(text).and_then(|entry| entry.downcast_ref::<FastMutexU32>()) {
                Some(mutex) => sink = sink.wrapping_add(mutex as *const FastMutexU32 as u64),
                None => {
                    eprintln!("seed_map: lookup of {} failed", text);
                    std::process::exit(1);
                }
            }
        }
    }
    opaque(sink);
    (cpu_ns() - start) / (GETS as f64 * PASSES as f64)
}

fn main() {
    let keys = Keys::new();
    let mut map: BTreeMap<&'static str, Box<dyn Any>> = BTreeMap::new();
    let empty = BTreeMap::new();
    let key_cost = run(&empty, &keys, 1000, true);
    let mut registered = 0u32;

    println!("# seed_map: BTreeMap<&'static str, Box<dyn Any>> get + downcast_ref; keygen {:.1} ns, subtracted", key_cost);
    for count in KEY_COUNTS {
        while registered < count {
            let mut key = template_words();
            keys.set(&mut key, registered);
            // The seed's keys are &'static str: leaked, as a literal would be.
            let text: &'static str = Box::leak(as_str(&key).to_owned().into_boxed_str());
            map.insert(text, Box::new(FastMutexU32 { value: registered }));
            registered += 1;
        }
        let ns = run(&map, &keys, count, false) - key_cost;
        println!("seed_map_get keys={} threads=1 ns_per_get={:.1}", count, ns);
    }
    let total: u64 = map.values().filter_map(|entry| entry.downcast_ref::<FastMutexU32>()).map(|m| m.value as u64).sum();
    opaque(total);
}
