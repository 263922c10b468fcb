//! The `#[lambda]` attribute. Use it through `lambda-core`, which re-exports it and
//! documents it; this crate holds only the code generator.
//!
//! The attribute parses its arguments (`args.rs`), checks the function's signature into a
//! `signature::Handler` (`signature.rs`), and writes a `main` that hands the function to
//! `lambda_core::__private::run` (`expand.rs`). The function itself is emitted unchanged.
#![deny(missing_docs)]

mod args;
mod expand;
mod signature;

use proc_macro::TokenStream;

/// Turns a plain function into the `main` of an AWS Lambda custom runtime. See
/// `lambda_core::lambda` for the accepted forms.
#[proc_macro_attribute]
pub fn lambda(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand::lambda(args.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(errors) => expand::fallback(item, &errors).into(),
    }
}
