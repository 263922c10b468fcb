//! Checks the function's signature and turns it into a [`Handler`]: what the generated
//! code needs to know, and nothing that needs type information (rustc checks the trait
//! bounds, at the user's types).

use crate::args::Errors;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

/// A function that `#[lambda]` can serve.
pub(crate) struct Handler {
    /// The function's name.
    pub(crate) ident: syn::Ident,
    /// The event's type: the first parameter's.
    pub(crate) event_ty: Type,
    /// How the handler takes the context, if it does, and the type it names (`Context`
    /// without the `&`), which the generated code checks is `lambda_core::Context`.
    pub(crate) context: Option<(ContextParam, Type)>,
    /// Whether the handler takes the `init` state as its last parameter.
    pub(crate) takes_state: bool,
    /// With `stream`: the type of the last parameter, the stream the response is
    /// written to (`&mut ResponseStream`).
    pub(crate) stream_ty: Option<Type>,
    /// `async fn`: the `async` token, where an error about the missing feature points.
    pub(crate) asyncness: Option<syn::token::Async>,
    /// What it returns.
    pub(crate) output: Output,
}

/// `ctx: Context` or `ctx: &Context`.
pub(crate) enum ContextParam {
    ByValue,
    ByRef,
}

#[allow(clippy::large_enum_variant, reason = "one value per macro call")]
pub(crate) enum Output {
    /// `-> U`, or no return type (`()`); the type is `None` for the latter.
    Plain(Option<Type>),
    /// `-> Result<U, E>`, or an alias such as `io::Result<U>` (any type whose last path
    /// segment is `Result`). `ok_ty` and `err_ty` are the generic arguments written.
    Result {
        ret_ty: Type,
        ok_ty: Option<Type>,
        err_ty: Option<Type>,
    },
}

impl Output {
    /// Where errors about the response type point.
    pub(crate) fn ok_span(&self) -> Span {
        match self {
            Output::Plain(Some(ty)) => ty.span(),
            Output::Plain(None) => Span::call_site(),
            Output::Result { ret_ty, ok_ty, .. } => ok_ty.as_ref().unwrap_or(ret_ty).span(),
        }
    }
}

/// Checks every rule and reports every problem at once.
pub(crate) fn parse_handler(
    function: &ItemFn,
    has_init: bool,
    stream: bool,
) -> syn::Result<Handler> {
    let sig = &function.sig;
    let mut errors = Errors::default();
    check_plain_fn(sig, &mut errors);
    check_name(sig, &mut errors);
    let mut inputs: Vec<&FnArg> = sig.inputs.iter().collect();
    let stream_ty = match stream {
        true => check_stream_param(sig, &mut inputs, &mut errors),
        false => None,
    };
    let params = check_params(&inputs, has_init, stream, &mut errors);
    errors.finish()?;
    let (event_ty, context, takes_state) = params.ok_or_else(|| {
        syn::Error::new(
            sig.paren_token.span.join(),
            "a handler takes the event as its first parameter, like `fn handler(event: Request)`",
        )
    })?;
    if stream {
        check_stream_output(&sig.output)?;
    }
    Ok(Handler {
        ident: sig.ident.clone(),
        event_ty,
        context,
        takes_state,
        stream_ty,
        asyncness: sig.asyncness,
        output: parse_output(&sig.output),
    })
}

/// The runtime calls the handler as a plain, non-generic function; an `async fn` is
/// driven to completion by lambda-core's `tokio` feature, which the generated code
/// checks.
fn check_plain_fn(sig: &syn::Signature, errors: &mut Errors) {
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a handler cannot be an `unsafe fn`: the runtime calls it with any event",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a handler cannot be generic; name the event and response types",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "a handler cannot be variadic",
        ));
    }
}

/// `#[lambda]` generates `main`, so the handler needs another name.
fn check_name(sig: &syn::Signature, errors: &mut Errors) {
    if sig.ident == "main" {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "a handler cannot be named `main`: `#[lambda]` generates `main`; name it `handler`",
        ));
    }
}

/// The event's type, the context parameter (how, and the type it names), and whether a
/// state parameter follows.
type Params = (Type, Option<(ContextParam, Type)>, bool);

/// With `stream`, the last parameter is the stream: `out: &mut ResponseStream`. Takes it
/// off `inputs` (whatever its type, when there are two or more, so that the others are
/// checked as they stand), and returns its type.
fn check_stream_param(
    sig: &syn::Signature,
    inputs: &mut Vec<&FnArg>,
    errors: &mut Errors,
) -> Option<Type> {
    const SHAPE: &str = "with `stream`, the handler takes the event first and the stream last, like `fn handler(event: Request, out: &mut ResponseStream)`";
    let Some(FnArg::Typed(last)) = inputs.last().filter(|_| inputs.len() >= 2) else {
        errors.push(syn::Error::new(sig.paren_token.span.join(), SHAPE));
        return None;
    };
    let ty = (*last.ty).clone();
    inputs.pop();
    let is_stream = matches!(
        &ty,
        Type::Reference(reference)
            if reference.mutability.is_some() && last_segment_is(&reference.elem, "ResponseStream")
    );
    if !is_stream {
        errors.push(syn::Error::new_spanned(
            &ty,
            "with `stream`, the last parameter is the stream the response is written to: `out: &mut ResponseStream`",
        ));
        return None;
    }
    Some(ty)
}

/// A streaming handler writes its response: it returns `()` or `Result<(), E>` (the
/// former checked by the generated code, where a type alias is resolved).
fn check_stream_output(output: &ReturnType) -> syn::Result<()> {
    if let Output::Result {
        ok_ty: Some(ok_ty), ..
    } = parse_output(output)
    {
        let is_unit = matches!(&ok_ty, Type::Tuple(tuple) if tuple.elems.is_empty());
        if !is_unit {
            return Err(syn::Error::new_spanned(
                ok_ty,
                "a `#[lambda(stream)]` handler returns `Result<(), E>`: the response is written to the stream, not returned",
            ));
        }
    }
    Ok(())
}

/// `(event)`, `(event, ctx)`, and with `init` also `(event, state)` and
/// `(event, ctx, state)`. With `init`, a second parameter that names a `Context` is the
/// context, and the handler takes no state (the generated code checks that `init` then
/// returns `()`).
/// Returns `None` when there is no parameter at all (reported by the caller) or on error.
fn check_params(
    inputs: &[&FnArg],
    has_init: bool,
    stream: bool,
    errors: &mut Errors,
) -> Option<Params> {
    let mut types = Vec::new();
    for input in inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                "a handler cannot take `self`; write a free function",
            )),
            FnArg::Typed(typed) => {
                if let Type::ImplTrait(impl_trait) = &*typed.ty {
                    errors.push(syn::Error::new_spanned(
                        impl_trait.impl_token,
                        "`impl Trait` parameters are not supported; name the type",
                    ));
                }
                types.push(&*typed.ty);
            }
        }
    }
    let expected = if has_init {
        "`(event, state)` or `(event, ctx, state)` (or no state, when init returns `()`)"
    } else {
        "`(event)` or `(event, ctx)`"
    };
    let then_stream = if stream { ", then the stream" } else { "" };
    let most = if has_init { 3 } else { 2 };
    if let Some(extra) = types.get(most) {
        errors.push(syn::Error::new_spanned(
            extra,
            format!("too many parameters: a handler takes {expected}{then_stream}"),
        ));
        return None;
    }
    let (&event_ty, rest) = types.split_first()?;
    if borrows(event_ty) {
        errors.push(syn::Error::new_spanned(
            event_ty,
            "the event cannot borrow: it is decoded from a buffer the runtime reuses for the next event; use an owned type, like `String` for `&str` and owned fields in your structs",
        ));
    }
    let (context_ty, state_ty) = match (has_init, rest) {
        (_, []) => (None, None),
        (false, [context]) => (Some(*context), None),
        (true, [context]) if context_param(context).is_some() => (Some(*context), None),
        (true, [state]) => (None, Some(*state)),
        (true, [context, state]) => (Some(*context), Some(*state)),
        _ => return None,
    };
    if let Some(state_ty) = state_ty {
        if !matches!(state_ty, Type::Reference(reference) if reference.mutability.is_none()) {
            errors.push(syn::Error::new_spanned(
                state_ty,
                "the state parameter must be a shared reference, like `state: &State`",
            ));
        }
    }
    let context = context_ty.and_then(|ty| match context_param(ty) {
        Some(param) => {
            let named = match ty {
                Type::Reference(reference) => (*reference.elem).clone(),
                other => other.clone(),
            };
            Some((param, named))
        }
        None => {
            let hint = if has_init {
                "the middle parameter must be the `Context` or `&Context`"
            } else {
                "the second parameter must be the `Context` or `&Context`; to share state between invocations, use `#[lambda(init = ...)]`"
            };
            errors.push(syn::Error::new_spanned(ty, hint));
            None
        }
    });
    Some((event_ty.clone(), context, state_ty.is_some()))
}

/// Whether a type borrows: a reference or a lifetime anywhere in it (`&str`,
/// `Cow<'a, str>`, `Order<'a>`).
fn borrows(ty: &Type) -> bool {
    fn any_borrow(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Punct(punct) => matches!(punct.as_char(), '&' | '\''),
            proc_macro2::TokenTree::Group(group) => any_borrow(group.stream()),
            _ => false,
        })
    }
    any_borrow(quote::ToTokens::to_token_stream(ty))
}

/// A type whose last path segment is `Context`, by value or by shared reference.
fn context_param(ty: &Type) -> Option<ContextParam> {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            last_segment_is(&reference.elem, "Context").then_some(ContextParam::ByRef)
        }
        other => last_segment_is(other, "Context").then_some(ContextParam::ByValue),
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|segment| segment.ident == name)
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Paren(inner) => last_segment(&inner.elem),
        Type::Group(inner) => last_segment(&inner.elem),
        _ => None,
    }
}

/// The macro sees tokens, not types: a return type is a `Result` when its last path
/// segment is named `Result`.
fn parse_output(output: &ReturnType) -> Output {
    let ty = match output {
        ReturnType::Default => return Output::Plain(None),
        ReturnType::Type(_, ty) => &**ty,
    };
    let Some(segment) = last_segment(ty).filter(|segment| segment.ident == "Result") else {
        return Output::Plain(Some(ty.clone()));
    };
    let mut types = match &segment.arguments {
        PathArguments::AngleBracketed(generics) => generics
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
    .into_iter();
    Output::Result {
        ret_ty: ty.clone(),
        ok_ty: types.next(),
        err_ty: types.next(),
    }
}
