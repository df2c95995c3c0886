//! Column -> field mapping: automatic suggestions from header names in several languages,
//! and explicit `--map "HEADER=field"` overrides.
//!
//! Each known field is suggested for at most one column (the most confident, then the
//! leftmost); every other column becomes a custom field keyed by the slug of its header, so no
//! data is lost. Explicit overrides may map several columns to one field: the first non-empty
//! valid value wins, except for `tags` and `notes`, which are combined.

use std::fmt;
use std::str::FromStr;

use crate::normalize::text::{fold_key, slug};

/// The fields the importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Phone,
    Whatsapp,
    FirstName,
    LastName,
    FullName,
    JobTitle,
    Company,
    Website,
    Address,
    City,
    Region,
    PostalCode,
    Country,
    Category,
    Tags,
    Notes,
    /// Average rating out of 5 (map listings).
    Rating,
    /// Number of reviews behind the rating.
    ReviewCount,
}

impl Field {
    /// Every field, in documentation order.
    pub const ALL: [Field; 19] = [
        Field::Email,
        Field::Phone,
        Field::Whatsapp,
        Field::FirstName,
        Field::LastName,
        Field::FullName,
        Field::JobTitle,
        Field::Company,
        Field::Website,
        Field::Address,
        Field::City,
        Field::Region,
        Field::PostalCode,
        Field::Country,
        Field::Category,
        Field::Tags,
        Field::Notes,
        Field::Rating,
        Field::ReviewCount,
    ];

    /// The name used by `--map`, the API and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Whatsapp => "whatsapp",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::FullName => "full_name",
            Field::JobTitle => "job_title",
            Field::Company => "company",
            Field::Website => "website",
            Field::Address => "address",
            Field::City => "city",
            Field::Region => "region",
            Field::PostalCode => "postal_code",
            Field::Country => "country",
            Field::Category => "category",
            Field::Tags => "tags",
            Field::Notes => "notes",
            Field::Rating => "rating",
            Field::ReviewCount => "review_count",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Field::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}

/// Where a column goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Target {
    Field(Field),
    /// A custom field with this key (a slug).
    Custom(String),
    /// The column is not imported.
    Ignore,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Field(x) => f.write_str(x.as_str()),
            Target::Custom(k) => write!(f, "custom:{k}"),
            Target::Ignore => f.write_str("ignore"),
        }
    }
}

/// One column's suggested target and how sure we are (1.0 = exact known header).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub column: usize,
    pub header: String,
    pub target: Target,
    pub confidence: f32,
}

/// Why an override could not be applied; `Display` is the CLI message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("--map: expected \"HEADER=field\", got '{0}'")]
    Syntax(String),
    #[error("--map: no column named '{header}'{hint}; columns are: {columns}")]
    UnknownColumn {
        header: String,
        hint: String,
        columns: String,
    },
    #[error("--map: invalid custom field name '{0}'")]
    InvalidCustom(String),
}

/// The target of every column, in column order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mapping {
    pub headers: Vec<String>,
    pub columns: Vec<Target>,
    /// Confidence of each column's automatic suggestion (1.0 for overrides).
    pub confidence: Vec<f32>,
}

/// Exact header phrases (after [`fold_key`]) per field; confidence 1.0.
const EXACT: &[(Field, &[&str])] = &[
    (
        Field::Email,
        &[
            "email",
            "e mail",
            "mail",
            "email address",
            "e mail address",
            "mail address",
            "emailadresse",
            "e mail adresse",
            "email adresse",
            "mailadresse",
            "adresse e mail",
            "adresse email",
            "adresse mail",
            "courriel",
            "correo",
            "correo electronico",
            "correo e",
            "indirizzo email",
            "indirizzo e mail",
            "posta elettronica",
            "endereco de email",
            "endereco de e mail",
            "e mailadres",
            "emailadres",
            "mailadres",
            "contact email",
            "work email",
            "business email",
            "primary email",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "phone number",
            "telephone",
            "telephone number",
            "tel",
            "tel nr",
            "tel no",
            "telefon",
            "telefonnummer",
            "rufnummer",
            "telefono",
            "numero de telephone",
            "numero de telefono",
            "numero di telefono",
            "telefone",
            "numero de telefone",
            "telefoonnummer",
            "telefoon",
            "phone no",
            "phone nr",
            "contact number",
            "work phone",
            "business phone",
            "office phone",
            "primary phone",
            "landline",
            "festnetz",
        ],
    ),
    (
        Field::Whatsapp,
        &[
            "whatsapp",
            "whats app",
            "whatsapp number",
            "whatsapp nummer",
            "numero whatsapp",
            "whatsapp phone",
            "wa",
            "wa number",
        ],
    ),
    (
        Field::FirstName,
        &[
            "first name",
            "firstname",
            "first",
            "given name",
            "forename",
            "vorname",
            "prenom",
            "nombre",
            "nome",
            "primeiro nome",
            "voornaam",
            "fname",
        ],
    ),
    (
        Field::LastName,
        &[
            "last name",
            "lastname",
            "last",
            "surname",
            "family name",
            "nachname",
            "familienname",
            "nom",
            "nom de famille",
            "apellido",
            "apellidos",
            "cognome",
            "sobrenome",
            "apelido",
            "achternaam",
            "lname",
        ],
    ),
    (
        Field::FullName,
        &[
            "name",
            "full name",
            "fullname",
            "contact",
            "contact name",
            "contact person",
            "person",
            "ansprechpartner",
            "kontaktperson",
            "name des kontakts",
            "nom complet",
            "nombre completo",
            "nome completo",
            "volledige naam",
            "naam",
            "contacto",
            "contatto",
            "persona de contacto",
        ],
    ),
    (
        Field::JobTitle,
        &[
            "job title",
            "jobtitle",
            "title",
            "position",
            "role",
            "job",
            "job role",
            "designation",
            "funktion",
            "berufsbezeichnung",
            "stellung",
            "poste",
            "fonction",
            "titre",
            "cargo",
            "puesto",
            "ruolo",
            "posizione",
            "funcao",
            "functie",
            "functietitel",
        ],
    ),
    (
        Field::Company,
        &[
            "company",
            "company name",
            "business",
            "business name",
            "organisation",
            "organization",
            "organisation name",
            "organization name",
            "account",
            "account name",
            "firma",
            "firmenname",
            "unternehmen",
            "unternehmensname",
            "entreprise",
            "societe",
            "nom de l entreprise",
            "raison sociale",
            "empresa",
            "nombre de la empresa",
            "compania",
            "azienda",
            "societa",
            "ragione sociale",
            "nome da empresa",
            "bedrijf",
            "bedrijfsnaam",
            "employer",
            "brand",
            "place name",
        ],
    ),
    (
        Field::Website,
        &[
            "website",
            "website url",
            "web site",
            "web",
            "url",
            "homepage",
            "home page",
            "site",
            "webseite",
            "internetseite",
            "internet",
            "webadresse",
            "site web",
            "site internet",
            "sitio web",
            "pagina web",
            "sito web",
            "sito",
            "sito internet",
            "site da empresa",
            "domain",
            "domain name",
            "company website",
            "company domain",
        ],
    ),
    (
        Field::Address,
        &[
            "address",
            "street",
            "street address",
            "address line 1",
            "address 1",
            "adresse",
            "strasse",
            "anschrift",
            "strasse und hausnummer",
            "rue",
            "direccion",
            "calle",
            "indirizzo",
            "via",
            "endereco",
            "rua",
            "adres",
            "straat",
            "full address",
            "formatted address",
        ],
    ),
    (
        Field::City,
        &[
            "city",
            "town",
            "locality",
            "ort",
            "stadt",
            "wohnort",
            "ville",
            "ciudad",
            "localidad",
            "citta",
            "comune",
            "cidade",
            "plaats",
            "stad",
            "gemeente",
        ],
    ),
    (
        Field::Region,
        &[
            "region",
            "state",
            "province",
            "county",
            "state province",
            "bundesland",
            "kanton",
            "departement",
            "provincia",
            "comunidad autonoma",
            "regione",
            "estado",
            "provincie",
            "state region",
        ],
    ),
    (
        Field::PostalCode,
        &[
            "postal code",
            "postcode",
            "post code",
            "zip",
            "zip code",
            "zipcode",
            "plz",
            "postleitzahl",
            "code postal",
            "cp",
            "codigo postal",
            "cap",
            "codice postale",
            "cep",
            "postcode nl",
        ],
    ),
    (
        Field::Country,
        &[
            "country",
            "country code",
            "nation",
            "land",
            "staat",
            "pays",
            "pais",
            "paese",
            "nazione",
            "country region",
        ],
    ),
    (
        Field::Rating,
        &[
            "rating",
            "stars",
            "average rating",
            "google rating",
            "review rating",
            "bewertung",
            "sterne",
            "valoracion",
            "valutazione",
        ],
    ),
    (
        Field::ReviewCount,
        &[
            "reviews",
            "review count",
            "reviews count",
            "number of reviews",
            "total reviews",
            "ratings count",
            "anzahl bewertungen",
            "rezensionen",
            "nombre d avis",
            "avis",
            "resenas",
            "recensioni",
        ],
    ),
    (
        Field::Category,
        &[
            "category",
            "categories",
            "industry",
            "sector",
            "type",
            "business type",
            "niche",
            "kategorie",
            "branche",
            "categorie",
            "secteur",
            "categoria",
            "sector industrial",
            "settore",
            "setor",
            "industrie",
        ],
    ),
    (
        Field::Tags,
        &[
            "tags",
            "tag",
            "labels",
            "label",
            "schlagworte",
            "stichworte",
            "etiquettes",
            "etiquetas",
            "etichette",
            "segments",
            "lists",
            "list",
        ],
    ),
    (
        Field::Notes,
        &[
            "notes",
            "note",
            "comments",
            "comment",
            "remarks",
            "description",
            "notizen",
            "notiz",
            "bemerkung",
            "bemerkungen",
            "kommentar",
            "anmerkungen",
            "remarques",
            "commentaires",
            "notas",
            "comentarios",
            "observaciones",
            "note interne",
            "commenti",
            "observacoes",
            "opmerkingen",
            "notities",
        ],
    ),
];

/// Words that, contained in a header, suggest a field with lower confidence.
const CONTAINS: &[(Field, &[&str], f32)] = &[
    (Field::Whatsapp, &["whatsapp"], 0.9),
    (
        Field::Email,
        &["email", "e mail", "courriel", "correo"],
        0.8,
    ),
    (
        Field::Website,
        &["website", "webseite", "homepage", "url", "sitio", "sito"],
        0.8,
    ),
    (
        Field::Phone,
        &[
            "phone",
            "telefon",
            "telephone",
            "telefono",
            "telefone",
            "telefoon",
        ],
        0.8,
    ),
    (
        Field::Phone,
        &[
            "mobile",
            "mobil",
            "handy",
            "cell",
            "movil",
            "cellulare",
            "celular",
            "portable",
            "gsm",
            "mobiel",
        ],
        0.7,
    ),
    (
        Field::PostalCode,
        &["zip", "postal", "postcode", "plz"],
        0.8,
    ),
    (
        Field::FirstName,
        &["first name", "vorname", "prenom", "given name"],
        0.8,
    ),
    (
        Field::LastName,
        &[
            "last name",
            "nachname",
            "surname",
            "apellido",
            "family name",
        ],
        0.8,
    ),
    (
        Field::Company,
        &[
            "company",
            "firma",
            "unternehmen",
            "entreprise",
            "empresa",
            "azienda",
            "business name",
            "organisation",
            "organization",
            "bedrijf",
        ],
        0.7,
    ),
    (Field::JobTitle, &["job", "title", "position"], 0.6),
    (
        Field::Address,
        &[
            "address",
            "street",
            "strasse",
            "adresse",
            "direccion",
            "indirizzo",
        ],
        0.6,
    ),
    (
        Field::City,
        &["city", "stadt", "ville", "ciudad", "citta"],
        0.6,
    ),
    (Field::Country, &["country", "land", "pays"], 0.6),
    (Field::Tags, &["tags"], 0.7),
    (Field::Notes, &["note", "comment", "notiz"], 0.6),
    (
        Field::Category,
        &["category", "categor", "kategorie", "industry"],
        0.6,
    ),
    (Field::FullName, &["name"], 0.4),
];

/// Suggests a target for one header. `None` when the header says nothing we know.
pub fn suggest_field(header: &str) -> Option<(Field, f32)> {
    let key = fold_key(header);
    if key.is_empty() {
        return None;
    }
    for (field, phrases) in EXACT {
        if phrases.contains(&key.as_str()) {
            return Some((*field, 1.0));
        }
    }
    let padded = format!(" {key} ");
    let compact = key.replace(' ', "");
    for (field, words, conf) in CONTAINS {
        for w in *words {
            if padded.contains(&format!(" {w} ")) || (w.len() >= 5 && compact.contains(w)) {
                return Some((*field, *conf));
            }
        }
    }
    None
}

impl Mapping {
    /// Automatic mapping for these headers: each field to at most one column, the rest custom.
    pub fn suggest(headers: &[String]) -> Mapping {
        let raw: Vec<Option<(Field, f32)>> = headers.iter().map(|h| suggest_field(h)).collect();
        let mut columns = vec![Target::Ignore; headers.len()];
        let mut confidence = vec![0.0; headers.len()];
        for (i, s) in raw.iter().enumerate() {
            let Some((field, conf)) = *s else { continue };
            // The best column for this field: highest confidence, then leftmost.
            let best = raw
                .iter()
                .enumerate()
                .filter(|(_, o)| o.map(|(f, _)| f) == Some(field))
                .max_by(|a, b| {
                    let ca = a.1.map(|x| x.1).unwrap_or(0.0);
                    let cb = b.1.map(|x| x.1).unwrap_or(0.0);
                    ca.total_cmp(&cb).then(b.0.cmp(&a.0))
                })
                .map(|(j, _)| j);
            if best == Some(i) {
                columns[i] = Target::Field(field);
                confidence[i] = conf;
            }
        }
        let mut used: Vec<String> = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if columns[i] == Target::Ignore {
                columns[i] = Target::Custom(unique_custom_key(h, i, &mut used));
            }
        }
        Mapping {
            headers: headers.to_vec(),
            columns,
            confidence,
        }
    }

    /// The suggestions, one per column, for the UI's mapping screen.
    pub fn suggestions(&self) -> Vec<Suggestion> {
        self.headers
            .iter()
            .enumerate()
            .map(|(i, h)| Suggestion {
                column: i,
                header: h.clone(),
                target: self.columns[i].clone(),
                confidence: self.confidence[i],
            })
            .collect()
    }

    /// Parses one `HEADER=field` override against these headers, returning the column index
    /// and its target. `field` is a known field, `custom:KEY`, `ignore`/`skip`/`-`, or any
    /// other name (then a custom field with that slug). Headers match exactly, then
    /// ignoring case and surrounding spaces.
    pub fn parse_override(spec: &str, headers: &[String]) -> Result<(usize, Target), MappingError> {
        let Some((header, field)) = spec.rsplit_once('=') else {
            return Err(MappingError::Syntax(spec.to_string()));
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(MappingError::Syntax(spec.to_string()));
        }
        let column = headers
            .iter()
            .position(|h| h == header)
            .or_else(|| {
                let want = header.trim().to_lowercase();
                headers.iter().position(|h| h.trim().to_lowercase() == want)
            })
            .ok_or_else(|| unknown_column(header, headers))?;
        let target = if matches!(
            field.to_ascii_lowercase().as_str(),
            "ignore" | "skip" | "-" | "none"
        ) {
            Target::Ignore
        } else if let Ok(f) = field.parse::<Field>() {
            Target::Field(f)
        } else {
            let key = field
                .strip_prefix("custom:")
                .or_else(|| field.strip_prefix("custom."))
                .unwrap_or(field);
            let key = slug(key);
            if key.is_empty() {
                return Err(MappingError::InvalidCustom(field.to_string()));
            }
            Target::Custom(key)
        };
        Ok((column, target))
    }

    /// Applies several `HEADER=field` overrides (CLI `--map`, API mapping) on top of `self`.
    pub fn apply_overrides<S: AsRef<str>>(&mut self, specs: &[S]) -> Result<(), MappingError> {
        for spec in specs {
            let (column, target) = Mapping::parse_override(spec.as_ref(), &self.headers)?;
            // A field taken explicitly is released from the column that had it automatically.
            if let Target::Field(f) = target {
                for (i, t) in self.columns.iter_mut().enumerate() {
                    if i != column && *t == Target::Field(f) && self.confidence[i] < 1.5 {
                        *t = Target::Custom(slug(&self.headers[i]));
                    }
                }
            }
            self.columns[column] = target;
            // 2.0 marks explicit choices so later overrides do not undo them.
            self.confidence[column] = 2.0;
        }
        Ok(())
    }

    /// The column indexes mapped to `field`, in order.
    pub fn columns_for(&self, field: Field) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == Target::Field(field))
            .map(|(i, _)| i)
            .collect()
    }
}

fn unique_custom_key(header: &str, index: usize, used: &mut Vec<String>) -> String {
    let mut base = slug(header);
    if base.is_empty() {
        base = format!("column_{}", index + 1);
    }
    let mut key = base.clone();
    let mut n = 2;
    while used.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    used.push(key.clone());
    key
}

fn unknown_column(header: &str, headers: &[String]) -> MappingError {
    let want = header.trim().to_lowercase();
    let hint = headers
        .iter()
        .map(|h| (levenshtein(&want, &h.trim().to_lowercase()), h))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, h)| format!(" (did you mean '{h}'?)"))
        .unwrap_or_default();
    let columns = headers
        .iter()
        .map(|h| format!("'{h}'"))
        .collect::<Vec<_>>()
        .join(", ");
    MappingError::UnknownColumn {
        header: header.to_string(),
        hint,
        columns,
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(h: &str) -> Option<&'static str> {
        suggest_field(h).map(|(f, _)| f.as_str())
    }

    #[test]
    fn multilingual_headers() {
        for (h, want) in [
            ("E-mail", "email"),
            ("Email Address", "email"),
            ("Correo electrónico", "email"),
            ("E-Mail-Adresse", "email"),
            ("Phone Number", "phone"),
            ("Telefon", "phone"),
            ("Téléphone", "phone"),
            ("Teléfono", "phone"),
            ("Mobile", "phone"),
            ("WhatsApp", "whatsapp"),
            ("WhatsApp Number", "whatsapp"),
            ("Company Name", "company"),
            ("Firma", "company"),
            ("Entreprise", "company"),
            ("Empresa", "company"),
            ("Website URL", "website"),
            ("Webseite", "website"),
            ("Site web", "website"),
            ("First Name", "first_name"),
            ("Vorname", "first_name"),
            ("Prénom", "first_name"),
            ("Nombre", "first_name"),
            ("Last Name", "last_name"),
            ("Nachname", "last_name"),
            ("Nom", "last_name"),
            ("Apellido", "last_name"),
            ("PLZ", "postal_code"),
            ("Code postal", "postal_code"),
            ("Ort", "city"),
            ("Ville", "city"),
            ("Land", "country"),
            ("Pays", "country"),
            ("País", "country"),
            ("Job Title", "job_title"),
            ("Tags", "tags"),
            ("Notizen", "notes"),
            ("Branche", "category"),
            ("Bundesland", "region"),
            ("Name", "full_name"),
            ("Contact Name", "full_name"),
        ] {
            assert_eq!(f(h), Some(want), "{h}");
        }
        assert_eq!(f("Favourite Color"), None);
    }

    #[test]
    fn each_field_once_rest_custom() {
        let headers: Vec<String> = [
            "Phone",
            "Mobile",
            "Email",
            "Favourite Color",
            "",
            "Favourite color",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let m = Mapping::suggest(&headers);
        assert_eq!(m.columns[0], Target::Field(Field::Phone));
        assert_eq!(m.columns[1], Target::Custom("mobile".into()));
        assert_eq!(m.columns[2], Target::Field(Field::Email));
        assert_eq!(m.columns[3], Target::Custom("favourite_color".into()));
        assert_eq!(m.columns[4], Target::Custom("column_5".into()));
        assert_eq!(m.columns[5], Target::Custom("favourite_color_2".into()));
    }

    #[test]
    fn overrides() {
        let headers: Vec<String> = ["Email", "Mobil", "Notes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut m = Mapping::suggest(&headers);
        m.apply_overrides(&["Mobil=whatsapp", "notes=ignore", "Email=custom:Old Mail"])
            .unwrap();
        assert_eq!(m.columns[1], Target::Field(Field::Whatsapp));
        assert_eq!(m.columns[2], Target::Ignore);
        assert_eq!(m.columns[0], Target::Custom("old_mail".into()));
        let e = Mapping::parse_override("Emial=email", &headers)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--map: no column named 'Emial' (did you mean 'Email'?); columns are: 'Email', 'Mobil', 'Notes'"
        );
        assert!(Mapping::parse_override("Email", &headers).is_err());
        assert_eq!(
            Mapping::parse_override("A=B=phone", &["A=B".to_string()]).unwrap(),
            (0, Target::Field(Field::Phone))
        );
    }
}
