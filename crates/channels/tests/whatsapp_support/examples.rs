//! The WhatsApp example payloads of the protocols folder.

/// An example file of `shared/protocols/examples/`: read from the shared folder when it sits
/// beside the repository (so the test follows the reference), else the embedded copy.
pub fn example(name: &str) -> String {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/protocols/examples")
        .join(name);
    if let Ok(text) = std::fs::read_to_string(&shared) {
        return text;
    }
    let embedded = match name {
        "whatsapp_create_template_request.json" => {
            r###"{
  "name": "order_confirmation",
  "language": "en_US",
  "category": "UTILITY",
  "components": [
    {
      "type": "BODY",
      "text": "Hi {{1}}, your order {{2}} is confirmed.",
      "example": {
        "body_text": [
          [
            "Pablo",
            "860198-230332"
          ]
        ]
      }
    }
  ]
}
"###
        }
        "whatsapp_create_template_response.json" => {
            r###"{
  "id": "572279198452421",
  "status": "PENDING",
  "category": "UTILITY"
}
"###
        }
        "whatsapp_messages_dashboard_sample.json" => {
            r###"{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "0",
      "changes": [
        {
          "field": "messages",
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {
              "display_phone_number": "16505551111",
              "phone_number_id": "123456123"
            },
            "contacts": [
              {
                "profile": {
                  "name": "test user name"
                },
                "wa_id": "16315551181"
              }
            ],
            "messages": [
              {
                "from": "16315551181",
                "id": "ABGGFlA5Fpa",
                "timestamp": "1504902988",
                "type": "text",
                "text": {
                  "body": "this is a text message"
                }
              }
            ]
          }
        }
      ]
    }
  ]
}
"###
        }
        "whatsapp_send_error_outside_window.json" => {
            r###"{
  "error": {
    "message": "(#131047) Re-engagement message",
    "type": "OAuthException",
    "code": 131047,
    "error_data": {
      "messaging_product": "whatsapp",
      "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    },
    "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
  }
}
"###
        }
        "whatsapp_send_response.json" => {
            r###"{
  "messaging_product": "whatsapp",
  "contacts": [
    {
      "input": "+16505551234",
      "wa_id": "16505551234"
    }
  ],
  "messages": [
    {
      "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
    }
  ]
}
"###
        }
        "whatsapp_send_template_request.json" => {
            r###"{
  "messaging_product": "whatsapp",
  "to": "12015550123",
  "type": "template",
  "template": {
    "name": "order_update_v1",
    "language": {
      "code": "en_US"
    },
    "components": [
      {
        "type": "body",
        "parameters": [
          {
            "type": "text",
            "text": "Alex"
          },
          {
            "type": "text",
            "text": "A12345"
          },
          {
            "type": "text",
            "text": "shipped"
          }
        ]
      }
    ]
  }
}
"###
        }
        "whatsapp_send_template_response_with_status.json" => {
            r###"{
  "messaging_product": "whatsapp",
  "contacts": [
    {
      "input": "+16505551234",
      "wa_id": "16505551234"
    }
  ],
  "messages": [
    {
      "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA",
      "message_status": "accepted"
    }
  ]
}
"###
        }
        "whatsapp_send_text_request.json" => {
            r###"{
  "messaging_product": "whatsapp",
  "recipient_type": "individual",
  "to": "16505551234",
  "type": "text",
  "text": {
    "preview_url": false,
    "body": "Hi! Thanks for your message."
  }
}
"###
        }
        _ => panic!("no example named {name}"),
    };
    embedded.to_owned()
}
