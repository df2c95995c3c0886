//! Country names and codes to ISO 3166-1 alpha-2.
//!
//! Spreadsheets say "Germany", "Deutschland", "DE", "DEU" or "U.S.A." for the same thing; the
//! store keeps one code. The table is embedded (every ISO 3166-1 entry plus Kosovo `XK`) with the
//! English name, alpha-3 and the local or commonly used names in the languages our users write.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use super::text::fold_key;

/// An ISO 3166-1 alpha-2 code (upper-case ASCII), e.g. `DE`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as `&str` ("DE").
    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII table below.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }

    /// English short name from the embedded table.
    pub fn name(&self) -> &'static str {
        COUNTRIES
            .iter()
            .find(|c| c.0 == self.as_str())
            .map(|c| c.2)
            .unwrap_or("")
    }

    /// Parses any accepted spelling (same as [`to_iso2`]).
    pub fn parse(raw: &str) -> Result<Self, CountryError> {
        to_iso2(raw)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl std::str::FromStr for CountryCode {
    type Err = CountryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        to_iso2(s)
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a value is not a country.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    /// Nothing but whitespace or a placeholder.
    #[error("country: empty")]
    Empty,
    /// Not a code or name we know.
    #[error("country: unknown country '{0}'")]
    Unknown(String),
}

/// Converts a country name (English or local), alpha-2 or alpha-3 code to alpha-2.
///
/// Case, diacritics, dots and a leading "the" are ignored: "U.S.", "españa", "The Netherlands".
pub fn to_iso2(raw: &str) -> Result<CountryCode, CountryError> {
    let trimmed = raw.trim();
    // "NA" in capitals is Namibia; "n/a", "na", "-" mean "no value".
    if trimmed != "NA" && super::text::is_placeholder(trimmed) {
        return Err(CountryError::Empty);
    }
    let mut key = fold_key(&trimmed.replace('.', ""));
    if let Some(rest) = key.strip_prefix("the ") {
        key = rest.to_string();
    }
    if key.contains(' ') {
        key = key
            .split(' ')
            .map(|w| if w == "st" || w == "ste" { "saint" } else { w })
            .collect::<Vec<_>>()
            .join(" ");
    }
    if key.is_empty() {
        return Err(CountryError::Empty);
    }
    INDEX
        .get(key.as_str())
        .map(|&code| CountryCode(code))
        .ok_or_else(|| CountryError::Unknown(truncate(trimmed)))
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

static INDEX: LazyLock<HashMap<String, [u8; 2]>> = LazyLock::new(|| {
    let mut m = HashMap::with_capacity(COUNTRIES.len() * 6);
    // Names first, codes last: a two- or three-letter code always wins over a name.
    for (a2, _a3, name, aliases) in COUNTRIES {
        let code = [a2.as_bytes()[0], a2.as_bytes()[1]];
        m.insert(fold_key(&name.replace('.', "")), code);
        for alias in aliases.split('|').filter(|a| !a.is_empty()) {
            m.insert(fold_key(&alias.replace('.', "")), code);
        }
    }
    for (a2, a3, _, _) in COUNTRIES {
        let code = [a2.as_bytes()[0], a2.as_bytes()[1]];
        m.insert(a2.to_ascii_lowercase(), code);
        m.insert(a3.to_ascii_lowercase(), code);
    }
    // Exceptionally reserved codes that people use anyway.
    m.insert("uk".into(), *b"GB");
    m.insert("el".into(), *b"GR");
    m
});

/// alpha-2, alpha-3, English short name, other names separated by `|`.
const COUNTRIES: &[(&str, &str, &str, &str)] = &[
    ("AF", "AFG", "Afghanistan", "Afganistán|Afghanistan"),
    ("AX", "ALA", "Åland Islands", "Aland|Ahvenanmaa"),
    ("AL", "ALB", "Albania", "Shqipëria|Albanien|Albanie"),
    ("DZ", "DZA", "Algeria", "Algérie|Algerien|Argelia|Algeria"),
    ("AS", "ASM", "American Samoa", ""),
    ("AD", "AND", "Andorra", "Andorre"),
    ("AO", "AGO", "Angola", ""),
    ("AI", "AIA", "Anguilla", ""),
    ("AQ", "ATA", "Antarctica", "Antarktis|Antarctique"),
    (
        "AG",
        "ATG",
        "Antigua and Barbuda",
        "Antigua|Antigua & Barbuda",
    ),
    ("AR", "ARG", "Argentina", "Argentinien|Argentine"),
    ("AM", "ARM", "Armenia", "Armenien|Arménie"),
    ("AW", "ABW", "Aruba", ""),
    ("AU", "AUS", "Australia", "Australien|Australie"),
    (
        "AT",
        "AUT",
        "Austria",
        "Österreich|Autriche|Oostenrijk|Áustria",
    ),
    ("AZ", "AZE", "Azerbaijan", "Aserbaidschan|Azerbaïdjan"),
    ("BS", "BHS", "Bahamas", "Bahamas"),
    ("BH", "BHR", "Bahrain", "Bahreïn|Baréin"),
    ("BD", "BGD", "Bangladesh", "Bangladesch"),
    ("BB", "BRB", "Barbados", ""),
    (
        "BY",
        "BLR",
        "Belarus",
        "Weißrussland|Belarus|Biélorussie|Bielorrusia|Byelorussia",
    ),
    (
        "BE",
        "BEL",
        "Belgium",
        "België|Belgique|Belgien|Bélgica|Belgio|Belgie",
    ),
    ("BZ", "BLZ", "Belize", ""),
    ("BJ", "BEN", "Benin", "Bénin"),
    ("BM", "BMU", "Bermuda", "Bermudas"),
    ("BT", "BTN", "Bhutan", "Bhoutan"),
    (
        "BO",
        "BOL",
        "Bolivia",
        "Bolivien|Bolivie|Plurinational State of Bolivia",
    ),
    (
        "BQ",
        "BES",
        "Bonaire, Sint Eustatius and Saba",
        "Bonaire|Caribbean Netherlands",
    ),
    (
        "BA",
        "BIH",
        "Bosnia and Herzegovina",
        "Bosnia|Bosnia-Herzegovina|Bosnien und Herzegowina|Bosnie-Herzégovine|BiH|Bosna i Hercegovina",
    ),
    ("BW", "BWA", "Botswana", ""),
    ("BV", "BVT", "Bouvet Island", ""),
    ("BR", "BRA", "Brazil", "Brasil|Brasilien|Brésil|Brasile"),
    ("IO", "IOT", "British Indian Ocean Territory", ""),
    ("BN", "BRN", "Brunei", "Brunei Darussalam"),
    ("BG", "BGR", "Bulgaria", "България|Bulgarien|Bulgarie"),
    ("BF", "BFA", "Burkina Faso", ""),
    ("BI", "BDI", "Burundi", ""),
    ("CV", "CPV", "Cabo Verde", "Cape Verde|Kap Verde|Cap-Vert"),
    ("KH", "KHM", "Cambodia", "Kambodscha|Cambodge|Camboya"),
    ("CM", "CMR", "Cameroon", "Kamerun|Cameroun|Camerún"),
    ("CA", "CAN", "Canada", "Kanada|Canadá"),
    ("KY", "CYM", "Cayman Islands", "Caymans"),
    (
        "CF",
        "CAF",
        "Central African Republic",
        "Zentralafrikanische Republik|République centrafricaine",
    ),
    ("TD", "TCD", "Chad", "Tschad|Tchad"),
    ("CL", "CHL", "Chile", "Chili"),
    (
        "CN",
        "CHN",
        "China",
        "中国|Chine|Cina|PRC|People's Republic of China|Volksrepublik China",
    ),
    ("CX", "CXR", "Christmas Island", ""),
    (
        "CC",
        "CCK",
        "Cocos (Keeling) Islands",
        "Cocos Islands|Keeling Islands",
    ),
    ("CO", "COL", "Colombia", "Kolumbien|Colombie|Colômbia"),
    ("KM", "COM", "Comoros", "Komoren|Comores"),
    (
        "CG",
        "COG",
        "Congo",
        "Republic of the Congo|Congo-Brazzaville|Congo Brazzaville|Kongo",
    ),
    (
        "CD",
        "COD",
        "Congo, Democratic Republic of the",
        "Democratic Republic of the Congo|DR Congo|DRC|Congo-Kinshasa|Congo Kinshasa|Zaire|DRK|RDC",
    ),
    ("CK", "COK", "Cook Islands", ""),
    ("CR", "CRI", "Costa Rica", ""),
    (
        "CI",
        "CIV",
        "Côte d'Ivoire",
        "Ivory Coast|Elfenbeinküste|Costa de Marfil|Cote d Ivoire",
    ),
    (
        "HR",
        "HRV",
        "Croatia",
        "Hrvatska|Kroatien|Croatie|Croacia|Croazia|Kroatië",
    ),
    ("CU", "CUB", "Cuba", "Kuba"),
    ("CW", "CUW", "Curaçao", ""),
    ("CY", "CYP", "Cyprus", "Zypern|Chypre|Chipre|Cipro|Κύπρος"),
    (
        "CZ",
        "CZE",
        "Czechia",
        "Czech Republic|Česko|Česká republika|Tschechien|Tschechische Republik|Tchéquie|République tchèque|Chequia|República Checa|Repubblica Ceca|Tsjechië",
    ),
    (
        "DK",
        "DNK",
        "Denmark",
        "Danmark|Dänemark|Danemark|Dinamarca|Danimarca|Denemarken",
    ),
    ("DJ", "DJI", "Djibouti", "Dschibuti|Yibuti"),
    ("DM", "DMA", "Dominica", ""),
    (
        "DO",
        "DOM",
        "Dominican Republic",
        "República Dominicana|Dominikanische Republik|République dominicaine",
    ),
    ("EC", "ECU", "Ecuador", "Équateur"),
    ("EG", "EGY", "Egypt", "Ägypten|Égypte|Egipto|Egitto|مصر"),
    ("SV", "SLV", "El Salvador", "Salvador"),
    (
        "GQ",
        "GNQ",
        "Equatorial Guinea",
        "Äquatorialguinea|Guinée équatoriale|Guinea Ecuatorial",
    ),
    ("ER", "ERI", "Eritrea", "Érythrée"),
    ("EE", "EST", "Estonia", "Eesti|Estland|Estonie"),
    ("SZ", "SWZ", "Eswatini", "Swaziland|Swasiland"),
    ("ET", "ETH", "Ethiopia", "Äthiopien|Éthiopie|Etiopía"),
    (
        "FK",
        "FLK",
        "Falkland Islands",
        "Falklands|Malvinas|Islas Malvinas",
    ),
    ("FO", "FRO", "Faroe Islands", "Faroes|Føroyar|Färöer"),
    ("FJ", "FJI", "Fiji", "Fidschi|Fidji"),
    (
        "FI",
        "FIN",
        "Finland",
        "Suomi|Finnland|Finlande|Finlandia|Finlândia",
    ),
    ("FR", "FRA", "France", "Frankreich|Francia|França|Frankrijk"),
    (
        "GF",
        "GUF",
        "French Guiana",
        "Guyane|Guyane française|Französisch-Guayana",
    ),
    (
        "PF",
        "PYF",
        "French Polynesia",
        "Polynésie française|Französisch-Polynesien",
    ),
    (
        "TF",
        "ATF",
        "French Southern Territories",
        "Terres australes françaises",
    ),
    ("GA", "GAB", "Gabon", "Gabun|Gabón"),
    ("GM", "GMB", "Gambia", "Gambie"),
    ("GE", "GEO", "Georgia", "Georgien|Géorgie|Sakartvelo"),
    (
        "DE",
        "DEU",
        "Germany",
        "Deutschland|Allemagne|Alemania|Germania|Alemanha|Duitsland|Federal Republic of Germany|Bundesrepublik Deutschland|BRD",
    ),
    ("GH", "GHA", "Ghana", ""),
    ("GI", "GIB", "Gibraltar", ""),
    (
        "GR",
        "GRC",
        "Greece",
        "Hellas|Ελλάδα|Griechenland|Grèce|Grecia|Grécia|Griekenland",
    ),
    (
        "GL",
        "GRL",
        "Greenland",
        "Grönland|Groenland|Kalaallit Nunaat",
    ),
    ("GD", "GRD", "Grenada", ""),
    ("GP", "GLP", "Guadeloupe", ""),
    ("GU", "GUM", "Guam", ""),
    ("GT", "GTM", "Guatemala", ""),
    ("GG", "GGY", "Guernsey", ""),
    ("GN", "GIN", "Guinea", "Guinée"),
    ("GW", "GNB", "Guinea-Bissau", "Guinée-Bissau"),
    ("GY", "GUY", "Guyana", ""),
    ("HT", "HTI", "Haiti", "Haïti|Haití"),
    ("HM", "HMD", "Heard Island and McDonald Islands", ""),
    (
        "VA",
        "VAT",
        "Holy See",
        "Vatican|Vatican City|Vatikanstadt|Città del Vaticano|Vaticano",
    ),
    ("HN", "HND", "Honduras", ""),
    ("HK", "HKG", "Hong Kong", "Hongkong|香港"),
    (
        "HU",
        "HUN",
        "Hungary",
        "Magyarország|Ungarn|Hongrie|Hungría|Ungheria|Hongarije|Hungria",
    ),
    ("IS", "ISL", "Iceland", "Ísland|Island|Islande|Islandia"),
    ("IN", "IND", "India", "Indien|Inde|Bharat|भारत"),
    ("ID", "IDN", "Indonesia", "Indonesien|Indonésie"),
    ("IR", "IRN", "Iran", "Islamic Republic of Iran|Persia|Irán"),
    ("IQ", "IRQ", "Iraq", "Irak"),
    (
        "IE",
        "IRL",
        "Ireland",
        "Éire|Eire|Irland|Irlande|Irlanda|Ierland|Republic of Ireland",
    ),
    ("IM", "IMN", "Isle of Man", ""),
    ("IL", "ISR", "Israel", "Israël|ישראל"),
    ("IT", "ITA", "Italy", "Italia|Italien|Italie|Itália|Italië"),
    ("JM", "JAM", "Jamaica", "Jamaika|Jamaïque"),
    (
        "JP",
        "JPN",
        "Japan",
        "日本|Nippon|Nihon|Japon|Japón|Giappone|Japão",
    ),
    ("JE", "JEY", "Jersey", ""),
    ("JO", "JOR", "Jordan", "Jordanien|Jordanie|Jordania"),
    ("KZ", "KAZ", "Kazakhstan", "Kasachstan|Kazajistán"),
    ("KE", "KEN", "Kenya", "Kenia"),
    ("KI", "KIR", "Kiribati", ""),
    (
        "KP",
        "PRK",
        "North Korea",
        "Korea, Democratic People's Republic of|Democratic People's Republic of Korea|DPRK|Nordkorea|Corée du Nord|Corea del Norte",
    ),
    (
        "KR",
        "KOR",
        "South Korea",
        "Korea|Korea, Republic of|Republic of Korea|대한민국|Südkorea|Corée du Sud|Corea del Sur|Corea do Sul|Zuid-Korea",
    ),
    ("KW", "KWT", "Kuwait", "Koweït"),
    ("KG", "KGZ", "Kyrgyzstan", "Kirgisistan|Kirghizistan"),
    (
        "LA",
        "LAO",
        "Laos",
        "Lao People's Democratic Republic|Lao PDR",
    ),
    ("LV", "LVA", "Latvia", "Latvija|Lettland|Lettonie|Letonia"),
    ("LB", "LBN", "Lebanon", "Libanon|Liban|Líbano"),
    ("LS", "LSO", "Lesotho", ""),
    ("LR", "LBR", "Liberia", ""),
    ("LY", "LBY", "Libya", "Libyen|Libye|Libia"),
    ("LI", "LIE", "Liechtenstein", ""),
    (
        "LT",
        "LTU",
        "Lithuania",
        "Lietuva|Litauen|Lituanie|Lituania",
    ),
    (
        "LU",
        "LUX",
        "Luxembourg",
        "Luxemburg|Lussemburgo|Luxemburgo|Lëtzebuerg",
    ),
    ("MO", "MAC", "Macao", "Macau|澳門"),
    ("MG", "MDG", "Madagascar", "Madagaskar"),
    ("MW", "MWI", "Malawi", ""),
    ("MY", "MYS", "Malaysia", "Malaisie|Malasia"),
    ("MV", "MDV", "Maldives", "Malediven|Maldivas"),
    ("ML", "MLI", "Mali", ""),
    ("MT", "MLT", "Malta", "Malte"),
    ("MH", "MHL", "Marshall Islands", ""),
    ("MQ", "MTQ", "Martinique", ""),
    ("MR", "MRT", "Mauritania", "Mauretanien|Mauritanie"),
    ("MU", "MUS", "Mauritius", "Maurice|Mauricio"),
    ("YT", "MYT", "Mayotte", ""),
    ("MX", "MEX", "Mexico", "México|Mexiko|Mexique|Messico"),
    (
        "FM",
        "FSM",
        "Micronesia",
        "Federated States of Micronesia|Micronesia, Federated States of",
    ),
    (
        "MD",
        "MDA",
        "Moldova",
        "Republic of Moldova|Moldau|Moldavie|Moldavia",
    ),
    ("MC", "MCO", "Monaco", "Mónaco"),
    ("MN", "MNG", "Mongolia", "Mongolei|Mongolie"),
    ("ME", "MNE", "Montenegro", "Crna Gora|Monténégro"),
    ("MS", "MSR", "Montserrat", ""),
    (
        "MA",
        "MAR",
        "Morocco",
        "Maroc|Marokko|Marruecos|Marocco|Marrocos",
    ),
    ("MZ", "MOZ", "Mozambique", "Mosambik|Moçambique"),
    ("MM", "MMR", "Myanmar", "Burma|Birma|Birmanie"),
    ("NA", "NAM", "Namibia", "Namibie"),
    ("NR", "NRU", "Nauru", ""),
    ("NP", "NPL", "Nepal", "Népal"),
    (
        "NL",
        "NLD",
        "Netherlands",
        "Nederland|Niederlande|Pays-Bas|Países Bajos|Paesi Bassi|Países Baixos|Holland|Holanda|Olanda|Hollande",
    ),
    (
        "NC",
        "NCL",
        "New Caledonia",
        "Nouvelle-Calédonie|Neukaledonien",
    ),
    (
        "NZ",
        "NZL",
        "New Zealand",
        "Neuseeland|Nouvelle-Zélande|Nueva Zelanda|Nuova Zelanda|Aotearoa|Nieuw-Zeeland",
    ),
    ("NI", "NIC", "Nicaragua", ""),
    ("NE", "NER", "Niger", ""),
    ("NG", "NGA", "Nigeria", "Nigéria"),
    ("NU", "NIU", "Niue", ""),
    ("NF", "NFK", "Norfolk Island", ""),
    (
        "MK",
        "MKD",
        "North Macedonia",
        "Macedonia|Republic of North Macedonia|Nordmazedonien|Mazedonien|Macédoine du Nord|Macedonia del Norte|FYROM|Северна Македонија",
    ),
    ("MP", "MNP", "Northern Mariana Islands", ""),
    (
        "NO",
        "NOR",
        "Norway",
        "Norge|Noreg|Norwegen|Norvège|Noruega|Norvegia|Noorwegen",
    ),
    ("OM", "OMN", "Oman", ""),
    ("PK", "PAK", "Pakistan", "Pakistán"),
    ("PW", "PLW", "Palau", ""),
    (
        "PS",
        "PSE",
        "Palestine",
        "State of Palestine|Palestinian Territories|Palästina|Palestina",
    ),
    ("PA", "PAN", "Panama", "Panamá"),
    ("PG", "PNG", "Papua New Guinea", "Papua-Neuguinea"),
    ("PY", "PRY", "Paraguay", ""),
    ("PE", "PER", "Peru", "Perú|Pérou"),
    (
        "PH",
        "PHL",
        "Philippines",
        "Philippinen|Filipinas|Pilipinas|Filippine",
    ),
    ("PN", "PCN", "Pitcairn", "Pitcairn Islands"),
    (
        "PL",
        "POL",
        "Poland",
        "Polska|Polen|Pologne|Polonia|Polónia",
    ),
    ("PT", "PRT", "Portugal", "Portogallo"),
    ("PR", "PRI", "Puerto Rico", ""),
    ("QA", "QAT", "Qatar", "Katar"),
    ("RE", "REU", "Réunion", "Reunion|La Réunion"),
    (
        "RO",
        "ROU",
        "Romania",
        "România|Rumänien|Roumanie|Rumania|Roménia|Roemenië",
    ),
    (
        "RU",
        "RUS",
        "Russia",
        "Russian Federation|Россия|Russland|Russie|Rusia|Russia|Rússia|Rusland",
    ),
    ("RW", "RWA", "Rwanda", "Ruanda"),
    ("BL", "BLM", "Saint Barthélemy", "Saint Barthelemy|St Barts"),
    (
        "SH",
        "SHN",
        "Saint Helena, Ascension and Tristan da Cunha",
        "Saint Helena",
    ),
    (
        "KN",
        "KNA",
        "Saint Kitts and Nevis",
        "Saint Kitts|Saint Christopher and Nevis",
    ),
    ("LC", "LCA", "Saint Lucia", ""),
    (
        "MF",
        "MAF",
        "Saint Martin (French part)",
        "Saint Martin|Saint-Martin",
    ),
    (
        "PM",
        "SPM",
        "Saint Pierre and Miquelon",
        "Saint-Pierre-et-Miquelon",
    ),
    (
        "VC",
        "VCT",
        "Saint Vincent and the Grenadines",
        "Saint Vincent",
    ),
    ("WS", "WSM", "Samoa", ""),
    ("SM", "SMR", "San Marino", ""),
    (
        "ST",
        "STP",
        "Sao Tome and Principe",
        "São Tomé and Príncipe|São Tomé e Príncipe",
    ),
    (
        "SA",
        "SAU",
        "Saudi Arabia",
        "KSA|Saudi-Arabien|Arabie saoudite|Arabia Saudita|Arabia Saudí|المملكة العربية السعودية",
    ),
    ("SN", "SEN", "Senegal", "Sénégal"),
    ("RS", "SRB", "Serbia", "Srbija|Србија|Serbien|Serbie"),
    ("SC", "SYC", "Seychelles", "Seychellen"),
    ("SL", "SLE", "Sierra Leone", ""),
    (
        "SG",
        "SGP",
        "Singapore",
        "Singapur|Singapour|Singapura|新加坡",
    ),
    ("SX", "SXM", "Sint Maarten", "Sint Maarten (Dutch part)"),
    (
        "SK",
        "SVK",
        "Slovakia",
        "Slovensko|Slowakei|Slovaquie|Eslovaquia|Slovacchia|Slowakije|Slovak Republic",
    ),
    (
        "SI",
        "SVN",
        "Slovenia",
        "Slovenija|Slowenien|Slovénie|Eslovenia|Slovenië",
    ),
    ("SB", "SLB", "Solomon Islands", ""),
    ("SO", "SOM", "Somalia", "Somalie"),
    (
        "ZA",
        "ZAF",
        "South Africa",
        "Südafrika|Afrique du Sud|Sudáfrica|Sudafrica|Suid-Afrika|África do Sul|RSA",
    ),
    (
        "GS",
        "SGS",
        "South Georgia and the South Sandwich Islands",
        "South Georgia",
    ),
    ("SS", "SSD", "South Sudan", "Südsudan|Soudan du Sud"),
    (
        "ES",
        "ESP",
        "Spain",
        "España|Espana|Spanien|Espagne|Spagna|Espanha|Spanje|Espanya",
    ),
    ("LK", "LKA", "Sri Lanka", ""),
    ("SD", "SDN", "Sudan", "Soudan|Sudán"),
    ("SR", "SUR", "Suriname", "Surinam"),
    ("SJ", "SJM", "Svalbard and Jan Mayen", "Svalbard"),
    (
        "SE",
        "SWE",
        "Sweden",
        "Sverige|Schweden|Suède|Suecia|Svezia|Zweden|Suécia",
    ),
    (
        "CH",
        "CHE",
        "Switzerland",
        "Schweiz|Suisse|Svizzera|Svizra|Suiza|Suíça|Zwitserland|Confoederatio Helvetica|Helvetia",
    ),
    (
        "SY",
        "SYR",
        "Syria",
        "Syrian Arab Republic|Syrien|Syrie|Siria",
    ),
    ("TW", "TWN", "Taiwan", "台灣|台湾|Taiwán|Chinese Taipei"),
    ("TJ", "TJK", "Tajikistan", "Tadschikistan|Tadjikistan"),
    (
        "TZ",
        "TZA",
        "Tanzania",
        "United Republic of Tanzania|Tansania|Tanzanie",
    ),
    (
        "TH",
        "THA",
        "Thailand",
        "Thaïlande|Tailandia|Thailandia|ประเทศไทย",
    ),
    ("TL", "TLS", "Timor-Leste", "East Timor|Osttimor"),
    ("TG", "TGO", "Togo", ""),
    ("TK", "TKL", "Tokelau", ""),
    ("TO", "TON", "Tonga", ""),
    (
        "TT",
        "TTO",
        "Trinidad and Tobago",
        "Trinidad|Trinidad & Tobago",
    ),
    ("TN", "TUN", "Tunisia", "Tunisie|Tunesien|Túnez|Tunisia"),
    (
        "TR",
        "TUR",
        "Türkiye",
        "Turkey|Turkiye|Türkei|Turquie|Turquía|Turchia|Turquia|Turkije",
    ),
    ("TM", "TKM", "Turkmenistan", "Turkménistan"),
    ("TC", "TCA", "Turks and Caicos Islands", "Turks and Caicos"),
    ("TV", "TUV", "Tuvalu", ""),
    ("UG", "UGA", "Uganda", "Ouganda"),
    (
        "UA",
        "UKR",
        "Ukraine",
        "Україна|Ucrania|Ucraina|Ucrânia|Oekraïne",
    ),
    (
        "AE",
        "ARE",
        "United Arab Emirates",
        "UAE|U.A.E.|Emirates|Vereinigte Arabische Emirate|Émirats arabes unis|Emiratos Árabes Unidos|Emirati Arabi Uniti|الإمارات",
    ),
    (
        "GB",
        "GBR",
        "United Kingdom",
        "United Kingdom of Great Britain and Northern Ireland|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|Vereinigtes Königreich|Großbritannien|Royaume-Uni|Reino Unido|Regno Unito|Verenigd Koninkrijk|Grande-Bretagne|Gran Bretaña",
    ),
    (
        "US",
        "USA",
        "United States",
        "United States of America|U.S.|U.S.A.|America|Vereinigte Staaten|Vereinigte Staaten von Amerika|États-Unis|Etats-Unis|Estados Unidos|EEUU|EE.UU.|EUA|Stati Uniti|Verenigde Staten",
    ),
    ("UM", "UMI", "United States Minor Outlying Islands", ""),
    ("UY", "URY", "Uruguay", ""),
    ("UZ", "UZB", "Uzbekistan", "Usbekistan|Ouzbékistan"),
    ("VU", "VUT", "Vanuatu", ""),
    ("VE", "VEN", "Venezuela", "Bolivarian Republic of Venezuela"),
    ("VN", "VNM", "Viet Nam", "Vietnam|Việt Nam"),
    (
        "VG",
        "VGB",
        "Virgin Islands (British)",
        "British Virgin Islands|BVI",
    ),
    (
        "VI",
        "VIR",
        "Virgin Islands (U.S.)",
        "US Virgin Islands|U.S. Virgin Islands|USVI",
    ),
    ("WF", "WLF", "Wallis and Futuna", ""),
    ("EH", "ESH", "Western Sahara", ""),
    ("YE", "YEM", "Yemen", "Jemen|Yémen"),
    ("ZM", "ZMB", "Zambia", "Sambia|Zambie"),
    ("ZW", "ZWE", "Zimbabwe", "Simbabwe"),
    ("XK", "XKX", "Kosovo", "Kosova|Kosovë"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        to_iso2(s)
            .map(|c| c.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn table_is_complete_and_unique() {
        assert_eq!(COUNTRIES.len(), 250);
        let mut a2: Vec<_> = COUNTRIES.iter().map(|c| c.0).collect();
        a2.sort_unstable();
        a2.dedup();
        assert_eq!(a2.len(), 250);
        let mut a3: Vec<_> = COUNTRIES.iter().map(|c| c.1).collect();
        a3.sort_unstable();
        a3.dedup();
        assert_eq!(a3.len(), 250);
        for c in COUNTRIES {
            assert_eq!(iso(c.0), c.0);
            assert_eq!(iso(c.1), c.0, "{}", c.1);
            assert_eq!(iso(c.2), c.0, "{}", c.2);
        }
    }

    #[test]
    fn common_spellings() {
        for (input, want) in [
            ("Germany", "DE"),
            ("Deutschland", "DE"),
            ("de", "DE"),
            ("DEU", "DE"),
            ("United States", "US"),
            ("USA", "US"),
            ("U.S.", "US"),
            ("u.s.a.", "US"),
            ("España", "ES"),
            ("espana", "ES"),
            ("Italia", "IT"),
            ("UK", "GB"),
            ("Great Britain", "GB"),
            ("The Netherlands", "NL"),
            ("Österreich", "AT"),
            ("Schweiz", "CH"),
            ("St. Lucia", "LC"),
            ("  france ", "FR"),
            ("Côte d’Ivoire", "CI"),
            ("Turkey", "TR"),
            ("Brasil", "BR"),
        ] {
            assert_eq!(iso(input), want, "{input}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(to_iso2(" "), Err(CountryError::Empty));
        assert_eq!(to_iso2("n/a"), Err(CountryError::Empty));
        assert_eq!(
            to_iso2("Atlantis").unwrap_err().to_string(),
            "country: unknown country 'Atlantis'"
        );
        assert!(to_iso2("ZZ").is_err());
    }
}
