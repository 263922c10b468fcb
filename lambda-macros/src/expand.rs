//! Writes the tokens: the user's function unchanged, plus a `main` that hands it to
//! `lambda_core::__private::run`.

use crate::args::Args;
use crate::signature::{self, ContextParam, Handler, Output};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, Path};

/// Parses, checks and expands; any error goes to [`fallback`].
pub(crate) fn lambda(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(args)?;
    let function: ItemFn = syn::parse2(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            "`#[lambda]` goes on a function, like `fn handler(event: Request) -> Response`",
        )
    })?;
    let handler = signature::parse_handler(&function, args.init.is_some(), args.stream.is_some())?;
    let main = expand_main(&args, &handler);
    Ok(quote! {
        #function
        #main
    })
}

/// On error: the user's item unchanged, the errors, and an empty `main`, so that rustc
/// reports the errors and not also a missing `main`. No `main` is added where the item
/// is itself `main`, or a method (where a `main` would not be the crate's).
pub(crate) fn fallback(item: TokenStream, errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let placeholder_main = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(function) => function.sig.ident != "main" && function.sig.receiver().is_none(),
        Err(_) => true,
    };
    let main = placeholder_main.then(|| {
        quote!(
            fn main() {}
        )
    });
    quote! {
        #item
        #errors
        #main
    }
}

/// The names the generated code gives its locals: mixed-site, so they cannot clash with
/// the user's names.
struct Locals {
    event: Ident,
    response: Ident,
    context: Ident,
    state: Ident,
    result: Ident,
    value: Ident,
    error: Ident,
    init: Ident,
    pollers: Ident,
    outcome: Ident,
    answer: Ident,
}

impl Locals {
    fn new(handler: &Handler) -> Locals {
        let local = |name: &str| Ident::new(name, Span::mixed_site());
        Locals {
            event: local("event"),
            response: local("response"),
            context: local(
                if handler.context.is_some() || handler.asyncness.is_some() {
                    "context"
                } else {
                    "_context"
                },
            ),
            state: local(if handler.takes_state {
                "state"
            } else {
                "_state"
            }),
            result: local("result"),
            value: local("value"),
            error: local("error"),
            init: local("init"),
            pollers: local("pollers"),
            outcome: local("outcome"),
            answer: local("answer"),
        }
    }
}

fn expand_main(args: &Args, handler: &Handler) -> TokenStream {
    let krate = CratePath(args.krate.clone());
    let private = krate.private(Span::call_site());
    let locals = Locals::new(handler);
    let Locals {
        event,
        context,
        state,
        response,
        init,
        pollers,
        ..
    } = &locals;
    let ident = &handler.ident;
    let init_fn = expand_init(args.init.as_ref(), &krate, &locals);
    // Spanned at the user's path, so that a function of the wrong type is named there.
    let shutdown = match &args.shutdown {
        Some(path) => quote_spanned!(path.span()=> ::core::option::Option::Some(#path as fn())),
        None => quote!(::core::option::Option::None),
    };
    let call = expand_call(handler, args.http.is_some(), &krate, &locals);
    // A `Context` from another crate (or the user's own) is named at the parameter, with
    // the one it must be. Checked through the function's own type, so that a parameter
    // rustc already refused (a trait named as a type) is not reported twice.
    let context_check = handler.context.as_ref().map(|(param, ty)| {
        let span = ty.span();
        let check_private = krate.private(span);
        let check = match (param, handler.takes_state) {
            (ContextParam::ByRef, false) => "context_by_ref",
            (ContextParam::ByRef, true) => "context_by_ref_with_state",
            (ContextParam::ByValue, false) => "context_by_value",
            (ContextParam::ByValue, true) => "context_by_value_with_state",
        };
        let check = match handler.asyncness {
            Some(_) => format!("async_{check}"),
            None => check.to_owned(),
        };
        let check = Ident::new(&check, span);
        // The handler's name spanned at the type too, so the error points there alone.
        let mut handler_fn = ident.clone();
        handler_fn.set_span(span);
        let check = match handler.stream_ty {
            None => quote_spanned!(span=> #check_private::#check(#handler_fn)),
            Some(_) => quote_spanned!(span=> #check_private::context_type::<#ty>()),
        };
        // An item of its own, before `main`: rustc reports it first, and would not
        // report it at all beside a type error in `main`'s body.
        let check_fn = Ident::new("context_check", Span::mixed_site());
        quote_spanned! {span=>
            #[allow(dead_code)]
            fn #check_fn() {
                #check;
            }
        }
    });
    // With `init` and no state parameter, `init` must return `()`: asked of its type,
    // at the user's path.
    let no_state = args
        .init
        .as_ref()
        .filter(|_| !handler.takes_state)
        .map(|path| {
            let path_private = krate.private(path.span());
            quote_spanned!(path.span()=> #path_private::no_state(&#init);)
        });
    quote! {
        #context_check
        // The generated code puts a value in a block of the user's span, where rustc
        // points an unmet bound.
        #[allow(unused_braces)]
        fn main() -> #private::ExitCode {
            let #init = #init_fn;
            #no_state
            // Whether the state can be shared by several pollers, asked here, where its
            // type is known (see `__private::StateProbe`).
            let #pollers = {
                #[allow(unused_imports)]
                use #private::{ViaSharedState as _, ViaLocalState as _};
                (&&#private::StateProbe::of(&#init)).lambda_pollers()
            };
            #private::run(
                #init,
                #shutdown,
                #pollers,
                // The parameter types come from `__private::Handler`, the one place
                // that writes the contract down.
                |#event, #context, #state, #response| {
                    #call
                },
            )
        }
    }
}

/// The body of the closure that `run` calls per event: decode, call, encode or report.
/// With `http`, the event is decoded into an `http::Request` and the response encoded in
/// the shape the request's source expects (`__private::HttpRequest`, `HttpResponse`).
fn expand_call(handler: &Handler, http: bool, krate: &CratePath, locals: &Locals) -> TokenStream {
    let Locals {
        event,
        context,
        state,
        result,
        value,
        error,
        response,
        outcome,
        answer,
        ..
    } = locals;
    let private = krate.private(Span::call_site());
    let ident = &handler.ident;
    let event_ty = &handler.event_ty;

    // Spanned at the event type, so `T: Deserialize` (or `HttpRequest`) errors point
    // there.
    let event_private = krate.private(event_ty.span());
    let decode = match http {
        true => quote_spanned! {event_ty.span()=>
            <#event_ty as #event_private::HttpRequest>::from_event(#event)
        },
        false => quote_spanned! {event_ty.span()=>
            #event_private::decode::<#event_ty>(#event)
        },
    };
    let decoded = match (http, &handler.stream_ty) {
        (true, None) => quote!((#event, #answer)),
        // A stream's HTTP head is the handler's to send (`ResponseStream::send_head`).
        (true, Some(_)) => quote!((#event, _)),
        (false, _) => quote!(#event),
    };
    let mut call_args = vec![quote!(#event)];
    match &handler.context {
        Some((ContextParam::ByValue, _)) => {
            call_args.push(quote!(::core::clone::Clone::clone(#context)))
        }
        Some((ContextParam::ByRef, _)) => call_args.push(quote!(#context)),
        None => {}
    }
    if handler.takes_state {
        call_args.push(quote!(#state));
    }
    // Spanned at the user's type: a `ResponseStream` from elsewhere is named there.
    if let Some(stream_ty) = &handler.stream_ty {
        let stream_private = krate.private(stream_ty.span());
        call_args.push(quote_spanned!(stream_ty.span()=> #stream_private::streaming(#response)));
    }

    // An `async fn`'s future is driven here, to completion or to the deadline; without
    // the `tokio` feature, `Drive` names the feature at the user's `async`.
    let call = match &handler.asyncness {
        Some(asyncness) => {
            let drive_private = krate.private(asyncness.span());
            let drive =
                quote_spanned!(asyncness.span()=> #drive_private::Drive::drive_until_deadline);
            // In a block of the `async` token's span, where rustc points an unmet bound.
            let future = quote_spanned!(asyncness.span()=> { #ident(#(#call_args),*) });
            quote! {
                #[allow(unused_braces)]
                let #result = match #drive(#future, #context) {
                    ::core::result::Result::Ok(#result) => #result,
                    ::core::result::Result::Err(#error) => return #private::Outcome::Error(#error),
                };
            }
        }
        None => quote!(let #result = #ident(#(#call_args),*);),
    };

    let ok_span = handler.output.ok_span();
    let ok_private = krate.private(ok_span);
    let buffer = quote!(#private::buffer(#response));
    let stream = handler.stream_ty.is_some();
    let encode = |value: &Ident, ok_ty: Option<&syn::Type>| match ok_ty
        .filter(|ty| !matches!(ty, syn::Type::ImplTrait(_)))
    {
        // The response went to the stream; what is returned must be `()`.
        // In a block of the type's span, where rustc points the unmet bound.
        _ if stream => quote_spanned!(ok_span=> #ok_private::streamed({ #value })),
        Some(ok_ty) if http => quote_spanned! {ok_span=>
            <#ok_ty as #ok_private::HttpResponse<_>>::answer(#value, #answer, #buffer)
        },
        None if http => quote_spanned! {ok_span=>
            #ok_private::HttpResponse::answer(#value, #answer, #buffer)
        },
        Some(ok_ty) => quote_spanned!(ok_span=> #ok_private::encode::<#ok_ty>(&#value, #buffer)),
        None => quote_spanned!(ok_span=> #ok_private::encode(&#value, #buffer)),
    };
    let answer = match &handler.output {
        Output::Plain(ty) => encode(result, ty.as_ref()),
        Output::Result {
            ret_ty,
            ok_ty,
            err_ty,
        } => {
            let encode_ok = encode(value, ok_ty.as_ref());
            let err_span = err_ty.as_ref().unwrap_or(ret_ty).span();
            let report = report_error(krate, error, err_span);
            quote! {
                match #result {
                    ::core::result::Result::Ok(#value) => #encode_ok,
                    ::core::result::Result::Err(#error) => #private::Outcome::Error(#report),
                }
            }
        }
    };
    quote! {
        let #decoded = match #decode {
            ::core::result::Result::Ok(#value) => #value,
            ::core::result::Result::Err(#outcome) => return #outcome,
        };
        #call
        #answer
    }
}

/// The report for `error`, chosen where its type is concrete (see `__private`). The
/// call that checks the last case's bound is spanned at the error type, so that a type
/// that cannot be reported is named there.
fn report_error(krate: &CratePath, error: &Ident, span: Span) -> TokenStream {
    let private = krate.private(Span::call_site());
    let report = quote_spanned!(span=> .report(&#error));
    quote! {{
        #[allow(unused_imports)]
        use #private::{
            ViaDiagnose as _, ViaError as _, ViaDynErrorSendSync as _, ViaDynError as _,
            ViaText as _, ViaDisplay as _,
        };
        (&&&&&&#private::ErrorRef(&#error)).lambda_error_kind()#report
    }}
}

/// The `init` closure: the user's function, its result made a `Result<S, Diagnostic>`.
fn expand_init(init: Option<&Path>, krate: &CratePath, locals: &Locals) -> TokenStream {
    let private = krate.private(Span::call_site());
    let Some(init) = init else {
        return quote!(#private::no_init);
    };
    let Locals {
        value,
        error,
        state,
        ..
    } = locals;
    let report = report_error(krate, error, init.span());
    // Spanned at the user's path: a function of the wrong shape, or an `async fn` without
    // the `tokio` feature, is named there.
    let init_private = krate.private(init.span());
    let call = quote_spanned!(init.span()=> #init_private::call_init(#init));
    // The argument in a block of the path's span too: rustc points an unmet bound at the
    // argument, and at the macro's call for a local of the macro's own.
    let resolve = quote_spanned!(init.span()=> (&#value).lambda_init_await().resolve({ #value }));
    quote! {
        || {
            #[allow(unused_imports)]
            use #private::{
                InitFutureKind as _, InitReadyKind as _, InitResultKind as _, InitValueKind as _,
            };
            let #value = #call;
            #[allow(unused_braces)]
            let #value = match #resolve {
                ::core::result::Result::Ok(#value) => #value,
                ::core::result::Result::Err(#error) => return ::core::result::Result::Err(#error),
            };
            match (&#value).lambda_init_kind().into_result(#value) {
                ::core::result::Result::Ok(#state) => ::core::result::Result::Ok(#state),
                ::core::result::Result::Err(#error) => ::core::result::Result::Err(#report),
            }
        }
    }
}

/// Where `lambda_core` is: `::lambda_core`, or the user's `crate = "..."`.
struct CratePath(Option<Path>);

impl CratePath {
    fn root(&self, span: Span) -> TokenStream {
        match &self.0 {
            Some(path) => path.to_token_stream(),
            None => quote_spanned!(span=> ::lambda_core),
        }
    }

    fn private(&self, span: Span) -> TokenStream {
        let root = self.root(span);
        quote_spanned!(span=> #root::__private)
    }
}
