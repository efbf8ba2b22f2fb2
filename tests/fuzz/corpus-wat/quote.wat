(module quote "(func (export \"q\") (result i32)" " (i32.const 42))")
