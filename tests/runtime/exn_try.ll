; exn_try.ll -- a try_table as Kiln's code generator lowers it (toolchain/lower_control.c),
; for test_rt_exn.c: an invoke whose landing pad catches every exception
; (kiln_eh_personality), compares the exception's tag with the clause's itself and takes the
; clause (kiln_exn_caught) or resumes unwinding. The landing pad must say `cleanup` as well as
; `catch ptr null`: LLVM's DwarfEHPrepare deletes a `resume` no cleanup landing pad can reach
; (with a catch-all clause alone, the tag mismatch path would become unreachable). Compiled by
; clang for the target (no triple here) where the runtime unwinds with DWARF
; (tests/runtime/CMakeLists.txt).
;
; i32 rt_exn_try(ptr vmctx, ptr body, ptr tag, i32 as_ref, ptr out)
;   Returns body(vmctx) (an i32 (ptr) function). If body throws an exception of `tag` (any
;   tag if tag is null: catch_all), stores the exception in *out, calls
;   kiln_exn_caught(vmctx, exn, as_ref) and returns its first value as an i32 (-1 if it has
;   none). Any other exception goes on unwinding.

declare ptr @kiln_exn_get(ptr)
declare void @kiln_exn_caught(ptr, ptr, i32)
declare i32 @kiln_eh_personality(i32, i32, i64, ptr, ptr)

define i32 @rt_exn_try(ptr %vm, ptr %body, ptr %tag, i32 %as_ref, ptr %out) uwtable personality ptr @kiln_eh_personality {
entry:
  %r = invoke i32 %body(ptr %vm)
          to label %ok unwind label %lpad

ok:
  ret i32 %r

lpad:
  %lp = landingpad { ptr, i32 }
          cleanup
          catch ptr null
  %header = extractvalue { ptr, i32 } %lp, 0
  %exn = call ptr @kiln_exn_get(ptr %header)
  %t = load ptr, ptr %exn, align 8
  %any = icmp eq ptr %tag, null
  %same = icmp eq ptr %t, %tag
  %match = or i1 %any, %same
  br i1 %match, label %catch, label %miss

catch:
  %count.p = getelementptr inbounds i8, ptr %exn, i64 8
  %count = load i32, ptr %count.p, align 8
  %has = icmp ne i32 %count, 0
  br i1 %has, label %first, label %take

first:
  %v.p = getelementptr inbounds i8, ptr %exn, i64 32
  %v0 = load i32, ptr %v.p, align 16
  br label %take

take:
  %v = phi i32 [ -1, %catch ], [ %v0, %first ]
  store ptr %exn, ptr %out, align 8
  call void @kiln_exn_caught(ptr %vm, ptr %exn, i32 %as_ref)
  ret i32 %v

miss:
  resume { ptr, i32 } %lp
}
