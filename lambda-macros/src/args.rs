//! The attribute's arguments: `#[lambda(http, stream, init = setup, crate = "renamed")]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Lit, Meta, Path, Token};

/// The parsed arguments, each with what it was given.
#[derive(Default)]
pub(crate) struct Args {
    /// `init = path`: a function run once before the first event.
    pub(crate) init: Option<Path>,
    /// `shutdown = path`: a function run when Lambda sends SIGTERM.
    pub(crate) shutdown: Option<Path>,
    /// `crate = "path"`: where `lambda_core` is, if the dependency was renamed.
    pub(crate) krate: Option<Path>,
    /// `http`: the handler takes an `http::Request` and returns an `http::Response`.
    pub(crate) http: Option<syn::Ident>,
    /// `stream`: the handler writes its response to a `ResponseStream`, its last
    /// parameter.
    pub(crate) stream: Option<syn::Ident>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        let mut args = Args::default();
        let mut errors = Errors::default();
        for meta in metas {
            let name_value = match meta {
                Meta::NameValue(name_value) if is_flag(&name_value.path) => {
                    let shown = flag_name(&name_value.path);
                    errors.push(syn::Error::new_spanned(
                        &name_value,
                        format!("`{shown}` takes no value: write `#[lambda({shown})]`"),
                    ));
                    continue;
                }
                Meta::NameValue(name_value) => name_value,
                Meta::Path(path) if is_flag(&path) => {
                    let slot = match path.is_ident("http") {
                        true => &mut args.http,
                        false => &mut args.stream,
                    };
                    match (&slot, path.get_ident()) {
                        (Some(_), _) => errors.push(syn::Error::new_spanned(
                            &path,
                            format!("duplicate `{}` argument", flag_name(&path)),
                        )),
                        (None, ident) => *slot = ident.cloned(),
                    }
                    continue;
                }
                other => {
                    errors.push(syn::Error::new_spanned(
                        other.path(),
                        "expected `http`, `stream` or `name = value`, like `init = setup` or `crate = \"lambda_core\"`",
                    ));
                    continue;
                }
            };
            let name = &name_value.path;
            let (slot, value) = if name.is_ident("init") {
                (&mut args.init, parse_function("init", &name_value.value))
            } else if name.is_ident("shutdown") {
                (
                    &mut args.shutdown,
                    parse_function("shutdown", &name_value.value),
                )
            } else if name.is_ident("crate") {
                (&mut args.krate, parse_crate(&name_value.value))
            } else {
                let shown = quote::quote!(#name).to_string().replace(' ', "");
                errors.push(syn::Error::new_spanned(
                    name,
                    format!(
                        "unknown argument `{shown}`; expected `http`, `stream`, `init`, `shutdown` or `crate`"
                    ),
                ));
                continue;
            };
            if slot.is_some() {
                let shown = name
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                errors.push(syn::Error::new_spanned(
                    name,
                    format!("duplicate `{shown}` argument"),
                ));
                continue;
            }
            match value {
                Ok(path) => *slot = Some(path),
                Err(error) => errors.push(error),
            }
        }
        errors.finish()?;
        Ok(args)
    }
}

/// The arguments that take no value.
fn is_flag(path: &Path) -> bool {
    path.is_ident("http") || path.is_ident("stream")
}

fn flag_name(path: &Path) -> String {
    path.get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// `init` and `shutdown` name a function: a path, such as `setup` or `config::load`.
fn parse_function(argument: &str, value: &Expr) -> syn::Result<Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{argument}` takes the path of a function, like `{argument} = {}`",
                if argument == "init" {
                    "setup"
                } else {
                    "on_shutdown"
                }
            ),
        )),
    }
}

/// `crate` is a string holding a path, as in serde's `#[serde(crate = "...")]`.
fn parse_crate(value: &Expr) -> syn::Result<Path> {
    let message = "`crate` takes a path in a string, like `crate = \"lambda_core\"`";
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let mut path: Path = text
                .parse()
                .map_err(|_| syn::Error::new(text.span(), message))?;
            respan_path(&mut path, text.span());
            Ok(path)
        }
        other => Err(syn::Error::new(other.span(), message)),
    }
}

/// Points the parsed path at the string it came from, so that an error about it (such
/// as a crate that does not exist) lands on the user's argument.
fn respan_path(path: &mut Path, span: Span) {
    if let Some(colon) = &mut path.leading_colon {
        colon.spans = [span, span];
    }
    for mut pair in path.segments.pairs_mut() {
        pair.value_mut().ident.set_span(span);
        if let Some(colon) = pair.punct_mut() {
            colon.spans = [span, span];
        }
    }
}

/// Gathers errors so that every problem is reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
