//! WhatsApp Business Cloud API (Meta Graph API): sending template, text and media
//! messages, managing templates, reading webhooks, and an in-memory sandbox, behind
//! [`WhatsAppProvider`].
//!
//! The 24-hour customer-service window is the app's decision (it knows the last inbound
//! time); this module only reports 131047 clearly when Meta refuses, and
//! [`OutgoingMessage::needs_window`] says which messages need it.

mod client;
mod error;
mod message;
mod sandbox;
mod template;
mod webhook;

pub use crate::webhooks::{
    HandshakeError, META_SIGNATURE_HEADER, SignatureError, meta_signature, verify_meta_signature,
    verify_subscription, verify_subscription_query,
};
pub use client::{
    DEFAULT_API_BASE, DEFAULT_API_VERSION, PhoneNumberInfo, WhatsAppClient, WhatsAppConfig,
};
pub use error::{ErrorClass, GraphError, WaReason, WhatsAppError, classify_code, map_graph_error};
pub use message::{
    ButtonSubType, MAX_CALLBACK_DATA_LEN, MAX_TEXT_LEN, Media, MediaKind, MediaSource,
    MessageContent, OutgoingMessage, Parameter, SendComponent, SentMessage, TemplateSend,
    mark_read_body, normalize_recipient, request_body,
};
pub use message::{MAX_CAPTION_LEN, MAX_LINK_LEN, check_media_link};
pub use sandbox::{
    SandboxWhatsAppMessage, WhatsAppSandbox, expected_body_params, inbound_text_webhook_body,
    status_webhook_body,
};
pub use template::{
    CreatedTemplate, HeaderMediaFormat, MAX_NAME_LEN, NewTemplate, ParameterFormat, Template,
    TemplateButton, TemplateCategory, TemplateComponent, TemplateHeader, TemplatePreview,
    TemplateStatus, preview, render_placeholders, render_with, variables,
};
pub use webhook::{
    Conversation, EventError, InboundContent, InboundMessage, MessageContext, MessageStatus,
    NumberRef, Pricing, Referral, SharedContact, StatusUpdate, TemplateCategoryUpdate,
    TemplateQualityUpdate, TemplateStatusUpdate, UserPreferenceUpdate, WebhookError, WhatsAppEvent,
    parse_webhook,
};

/// The one thing the app holds per WhatsApp number, real or sandbox. An enum rather than
/// a trait object: the set is closed and matching keeps it visible.
#[derive(Debug, Clone)]
pub enum WhatsAppProvider {
    Cloud(WhatsAppClient),
    Sandbox(WhatsAppSandbox),
}

impl WhatsAppProvider {
    pub fn kind(&self) -> &'static str {
        match self {
            WhatsAppProvider::Cloud(_) => "whatsapp_cloud",
            WhatsAppProvider::Sandbox(_) => "sandbox",
        }
    }

    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SentMessage, WhatsAppError> {
        match self {
            WhatsAppProvider::Cloud(c) => c.send(msg).await,
            WhatsAppProvider::Sandbox(s) => s.send(msg).await,
        }
    }

    /// The "test connection" action.
    pub async fn phone_number_info(&self) -> Result<PhoneNumberInfo, WhatsAppError> {
        match self {
            WhatsAppProvider::Cloud(c) => c.phone_number_info().await,
            WhatsAppProvider::Sandbox(s) => s.phone_number_info().await,
        }
    }

    pub async fn list_templates(&self, name: Option<&str>) -> Result<Vec<Template>, WhatsAppError> {
        match self {
            WhatsAppProvider::Cloud(c) => c.list_templates(name).await,
            WhatsAppProvider::Sandbox(s) => s.list_templates(name).await,
        }
    }

    pub async fn create_template(&self, t: &NewTemplate) -> Result<CreatedTemplate, WhatsAppError> {
        match self {
            WhatsAppProvider::Cloud(c) => c.create_template(t).await,
            WhatsAppProvider::Sandbox(s) => s.create_template(t).await,
        }
    }

    pub async fn delete_template(&self, name: &str) -> Result<(), WhatsAppError> {
        match self {
            WhatsAppProvider::Cloud(c) => c.delete_template(name).await,
            WhatsAppProvider::Sandbox(s) => s.delete_template(name).await,
        }
    }
}
