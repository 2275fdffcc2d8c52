//! Routes gathered into one resource per path, so a request for a path
//! that exists with a method it lacks is answered 405
//! `method_not_allowed` with `Allow`. (`scope.route(..)` makes a resource
//! per route guarded by its method; a method no route takes fails every
//! resource of the path, and the request falls through to a 404.)

use actix_web::http::Method;
use actix_web::{web, HttpResponse, Resource, Route, Scope};

use crate::error::ApiError;

/// Paths and their routes, in order of first use.
#[derive(Default)]
pub(super) struct Paths {
    /// Path, the methods its routes take, and its resource.
    paths: Vec<(&'static str, Vec<Method>, Resource)>,
}

impl Paths {
    /// Add `route`, which takes `method` (lowercase, as in the route
    /// table), to the resource of `path`.
    pub(super) fn add(&mut self, path: &'static str, method: &str, route: Route) {
        let method = match method {
            "get" => Method::GET,
            "post" => Method::POST,
            "put" => Method::PUT,
            "patch" => Method::PATCH,
            "delete" => Method::DELETE,
            other => unreachable!("the route table has no `{other}` routes"),
        };
        let at = match self.paths.iter().position(|(p, ..)| *p == path) {
            Some(at) => at,
            None => {
                self.paths.push((path, Vec::new(), web::resource(path)));
                self.paths.len() - 1
            }
        };
        let (_, methods, resource) = &mut self.paths[at];
        if method == Method::GET {
            // `HEAD` is served as `GET` (see `crate::head`).
            methods.extend([Method::GET, Method::HEAD]);
        } else {
            methods.push(method);
        }
        let taken = std::mem::replace(resource, web::resource(path));
        *resource = taken.route(route);
    }

    /// One resource per path, answering the methods it lacks with 405.
    pub(super) fn resources(self) -> impl Iterator<Item = Resource> {
        self.paths.into_iter().map(|(_, allow, resource)| {
            resource.default_service(web::to(move || {
                let allow = allow.clone();
                async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
            }))
        })
    }

    /// Every resource, as services of `scope`.
    pub(super) fn register(self, scope: Scope) -> Scope {
        self.resources().fold(scope, Scope::service)
    }
}

/// The resource of a path served by one `GET` route (and `HEAD`), other
/// methods answered 405: for routes registered outside this module.
pub fn get_only(path: &'static str, route: Route) -> Resource {
    let mut paths = Paths::default();
    paths.add(path, "get", route);
    paths
        .resources()
        .next()
        .unwrap_or_else(|| unreachable!("one path was added"))
}
