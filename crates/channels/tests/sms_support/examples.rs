//! The Twilio example form bodies of the protocols folder.

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
        "twilio_inbound_sms_stop.form" => {
            r###"ToCountry=US&ToState=CA&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0&ToCity=&FromZip=94105&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO&Body=STOP&FromCountry=US&To=%2B15017250604&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&ToZip=&NumSegments=1&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC1234567890abcdef1234567890abcdef&OptOutType=STOP&From=%2B15558675310&ApiVersion=2010-04-01
"###
        }
        "twilio_status_callback_delivered.form" => {
            r###"SmsSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&SmsStatus=delivered&MessageStatus=delivered&To=%2B15558675310&MessageSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&AccountSid=AC1234567890abcdef1234567890abcdef&From=%2B15017250604&ApiVersion=2010-04-01
"###
        }
        "twilio_status_callback_undelivered.form" => {
            r###"ErrorCode=30003&SmsSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B15558675310&MessageSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&AccountSid=AC1234567890abcdef1234567890abcdef&From=%2B15017250604&ApiVersion=2010-04-01
"###
        }
        _ => panic!("no example named {name}"),
    };
    embedded.to_owned()
}
