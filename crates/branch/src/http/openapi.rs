//! The OpenAPI document, generated from the handlers' annotations and the protocol's types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "PLKK Desk branch server", description = "Sync API v1 between PLKK desks and the BPJS Ketenagakerjaan branch."),
    paths(routes::health, routes::enroll, routes::push, routes::changes, routes::audit, routes::openapi_json),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
