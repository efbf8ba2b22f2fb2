;; micro.wat -- the small module of the instantiation microbenchmarks: one
;; 64 KiB page of memory with a 1 KiB active data segment, four globals, a table of 4
;; funcrefs with an element segment, an empty export (call cost) and one that traps.
(module
  (memory (export "memory") 1 1)
  (global $counter (export "counter") (mut i32) (i32.const 1))
  (global $wide (mut i64) (i64.const 2))
  (global $ratio f64 (f64.const 0.5))
  (global $limit i32 (i32.const 1024))
  (table 4 funcref)
  (elem (i32.const 0) $empty $trap $read)
  (data (i32.const 1024)
    "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186"
    "abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc0126"
    "4b7095badf04294e7398bde2072c51769bc0e50a2f54799ec3e80d32577ca1c6"
    "eb10355a7fa4c9ee13385d82a7ccf1163b6085aacff4193e6388add2f71c4166"
    "8bb0d5fa1f44698eb3d8fd22476c91b6db00254a6f94b9de03284d7297bce106"
    "2b50759abfe4092e53789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6"
    "cbf0153a5f84a9cef3183d6287acd1f61b40658aafd4f91e43688db2d7fc2146"
    "6b90b5daff24496e93b8dd02274c7196bbe0052a4f7499bee3082d52779cc1e6"
    "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186"
    "abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc0126"
    "4b7095badf04294e7398bde2072c51769bc0e50a2f54799ec3e80d32577ca1c6"
    "eb10355a7fa4c9ee13385d82a7ccf1163b6085aacff4193e6388add2f71c4166"
    "8bb0d5fa1f44698eb3d8fd22476c91b6db00254a6f94b9de03284d7297bce106"
    "2b50759abfe4092e53789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6"
    "cbf0153a5f84a9cef3183d6287acd1f61b40658aafd4f91e43688db2d7fc2146"
    "6b90b5daff24496e93b8dd02274c7196bbe0052a4f7499bee3082d52779cc1e6")
  (func $empty (export "empty"))
  (func $trap (export "trap") unreachable)
  ;; reads a data byte; the benchmarks call it once to check each instance's memory
  (func $read (export "read") (param $at i32) (result i32)
    (i32.load8_u offset=1024 (local.get $at))))
