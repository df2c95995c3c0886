#!/usr/bin/env python3
"""Deterministic generator of a realistic prospect list for the import benchmark.

    gen.py N OUT.csv [--seed S] [--check K]

Writes N data rows (plus the header) of small-business prospects in the US, GB, DE, FR, ES and
IT: restaurants, dentists, plumbers, agencies, ... with a person (or a generic inbox for
business listings), the company website, a phone in one of many national and international
notations, a city and a country spelled in several ways. The file is streamed: memory does not
grow with N.

Mix (of N): about 10% duplicates of an earlier row (the same e-mail in another case or with
stray whitespace, or the same phone written differently and no e-mail, or for a business
listing the same website written differently), about 2% bad rows that have no identity at
all (only a city; a malformed e-mail and nothing else; a name and a title; a junk phone), the
rest unique rows: every unique row has its own e-mail (`first.last.N@domain`), its own phone
and its own website domain, so the only duplicates are the planted ones.

Phone numbers are drawn from ranges that libphonenumber calls valid for their country;
`--check K` re-reads the first K rows of OUT.csv afterwards and reports, with the
`phonenumbers` package, the share of non-bad rows whose phone validates (target >= 95%).
Counts of each kind are printed to stderr as JSON.
"""

import argparse
import csv
import json
import random
import sys
import time
import unicodedata

HEADER = [
    "Company Name", "Website", "E-mail", "Phone Number", "First Name", "Last Name",
    "Job Title", "City", "Country", "Category",
]

CATEGORIES = [
    "Restaurant", "Dentist", "Plumber", "Marketing Agency", "Hair Salon", "Bakery", "Law Firm",
    "Accountant", "Electrician", "Real Estate Agency", "Gym", "Cafe", "Florist",
    "Photographer", "Veterinarian", "Auto Repair", "Physiotherapist", "Hotel",
]

# Local words for each category, per language (en is used by US and GB).
CAT_WORDS = {
    "en": {
        "Restaurant": ["Grill", "Kitchen", "Diner", "Bistro", "Eatery"],
        "Dentist": ["Dental", "Family Dentistry", "Dental Care", "Smile Studio"],
        "Plumber": ["Plumbing", "Plumbing & Heating", "Drain Services"],
        "Marketing Agency": ["Digital", "Creative", "Media", "Marketing"],
        "Hair Salon": ["Hair Studio", "Salon", "Barbers"],
        "Bakery": ["Bakery", "Bakehouse"],
        "Law Firm": ["Law", "& Associates", "Legal"],
        "Accountant": ["Accounting", "Tax & Accounts", "CPA"],
        "Electrician": ["Electric", "Electrical Services"],
        "Real Estate Agency": ["Realty", "Estates", "Property"],
        "Gym": ["Fitness", "Gym", "CrossFit"],
        "Cafe": ["Coffee", "Cafe", "Coffee House"],
        "Florist": ["Flowers", "Florist"],
        "Photographer": ["Photography", "Photo Studio"],
        "Veterinarian": ["Veterinary Clinic", "Animal Hospital", "Vets"],
        "Auto Repair": ["Auto Repair", "Motors", "Garage"],
        "Physiotherapist": ["Physical Therapy", "Physio"],
        "Hotel": ["Inn", "Hotel", "Guest House"],
    },
    "de": {
        "Restaurant": ["Restaurant", "Gasthaus", "Wirtshaus", "Bistro"],
        "Dentist": ["Zahnarztpraxis Dr.", "Zahnarzt", "Zahnzentrum"],
        "Plumber": ["Sanitär", "Haustechnik", "Heizung & Sanitär"],
        "Marketing Agency": ["Werbeagentur", "Digitalagentur", "Marketing"],
        "Hair Salon": ["Friseur", "Haarstudio", "Salon"],
        "Bakery": ["Bäckerei", "Backstube"],
        "Law Firm": ["Rechtsanwälte", "Kanzlei"],
        "Accountant": ["Steuerberatung", "Steuerbüro"],
        "Electrician": ["Elektro", "Elektrotechnik"],
        "Real Estate Agency": ["Immobilien"],
        "Gym": ["Fitnessstudio", "Fitness"],
        "Cafe": ["Café", "Kaffeehaus"],
        "Florist": ["Blumen", "Blumenhaus"],
        "Photographer": ["Fotostudio", "Fotografie"],
        "Veterinarian": ["Tierarztpraxis", "Tierklinik"],
        "Auto Repair": ["Autowerkstatt", "Kfz-Service"],
        "Physiotherapist": ["Physiotherapie", "Praxis für Physiotherapie"],
        "Hotel": ["Hotel", "Pension"],
    },
    "fr": {
        "Restaurant": ["Restaurant", "Brasserie", "Bistrot"],
        "Dentist": ["Cabinet Dentaire", "Centre Dentaire"],
        "Plumber": ["Plomberie", "Chauffage Plomberie"],
        "Marketing Agency": ["Agence", "Agence Web", "Communication"],
        "Hair Salon": ["Coiffure", "Salon de Coiffure"],
        "Bakery": ["Boulangerie", "Boulangerie Pâtisserie"],
        "Law Firm": ["Cabinet d'Avocats", "Avocats"],
        "Accountant": ["Expertise Comptable", "Cabinet Comptable"],
        "Electrician": ["Électricité", "Électricien"],
        "Real Estate Agency": ["Immobilier", "Agence Immobilière"],
        "Gym": ["Fitness", "Salle de Sport"],
        "Cafe": ["Café", "Salon de Thé"],
        "Florist": ["Fleurs", "Fleuriste"],
        "Photographer": ["Studio Photo", "Photographie"],
        "Veterinarian": ["Clinique Vétérinaire", "Cabinet Vétérinaire"],
        "Auto Repair": ["Garage", "Auto Service"],
        "Physiotherapist": ["Kinésithérapie", "Cabinet de Kiné"],
        "Hotel": ["Hôtel", "Auberge"],
    },
    "es": {
        "Restaurant": ["Restaurante", "Taberna", "Mesón"],
        "Dentist": ["Clínica Dental", "Dentista"],
        "Plumber": ["Fontanería", "Fontanería y Calefacción"],
        "Marketing Agency": ["Agencia", "Marketing Digital"],
        "Hair Salon": ["Peluquería", "Estilistas"],
        "Bakery": ["Panadería", "Horno"],
        "Law Firm": ["Abogados", "Bufete"],
        "Accountant": ["Asesoría", "Gestoría"],
        "Electrician": ["Electricidad", "Instalaciones Eléctricas"],
        "Real Estate Agency": ["Inmobiliaria"],
        "Gym": ["Gimnasio", "Fitness"],
        "Cafe": ["Cafetería", "Café"],
        "Florist": ["Floristería", "Flores"],
        "Photographer": ["Estudio Fotográfico", "Fotografía"],
        "Veterinarian": ["Clínica Veterinaria", "Veterinario"],
        "Auto Repair": ["Taller", "Talleres"],
        "Physiotherapist": ["Fisioterapia", "Clínica de Fisioterapia"],
        "Hotel": ["Hotel", "Hostal"],
    },
    "it": {
        "Restaurant": ["Ristorante", "Trattoria", "Osteria", "Pizzeria"],
        "Dentist": ["Studio Dentistico", "Studio Odontoiatrico"],
        "Plumber": ["Idraulica", "Termoidraulica"],
        "Marketing Agency": ["Agenzia", "Web Agency", "Comunicazione"],
        "Hair Salon": ["Parrucchiere", "Acconciature"],
        "Bakery": ["Panificio", "Forno"],
        "Law Firm": ["Studio Legale", "Avvocati"],
        "Accountant": ["Studio Commercialista", "Consulenza Fiscale"],
        "Electrician": ["Impianti Elettrici", "Elettricista"],
        "Real Estate Agency": ["Immobiliare", "Agenzia Immobiliare"],
        "Gym": ["Palestra", "Fitness Club"],
        "Cafe": ["Bar", "Caffè", "Pasticceria"],
        "Florist": ["Fiori", "Fioreria"],
        "Photographer": ["Studio Fotografico", "Fotografia"],
        "Veterinarian": ["Clinica Veterinaria", "Ambulatorio Veterinario"],
        "Auto Repair": ["Autofficina", "Carrozzeria"],
        "Physiotherapist": ["Fisioterapia", "Centro Fisioterapico"],
        "Hotel": ["Hotel", "Albergo", "B&B"],
    },
}

FANCY = {
    "en": ["Blue Door", "Oak & Ivy", "Golden Gate", "Harbor", "Maple", "Summit", "Riverside",
           "Northside", "Bright", "Evergreen", "Union", "Liberty", "Cornerstone", "Lighthouse"],
    "de": ["Zur Linde", "Am Markt", "Lindenhof", "Sonnenschein", "Nordlicht", "Alte Post",
           "Am Park", "Elbblick", "Rheingold", "Stadtmitte", "Edelweiß", "Kastanie"],
    "fr": ["Le Petit Zinc", "La Belle Époque", "Le Moulin", "Les Tilleuls", "Le Comptoir",
           "La Fontaine", "Le Marais", "L'Étoile", "Le Jardin", "La Perle"],
    "es": ["El Rincón", "La Plaza", "Sol y Mar", "El Faro", "La Alameda", "El Olivo",
           "Los Arcos", "La Giralda", "El Puerto", "Las Palmeras"],
    "it": ["Da Mario", "La Pergola", "Il Gabbiano", "Bella Vista", "Il Girasole", "La Rosa",
           "Al Duomo", "Il Portico", "La Lanterna", "Sole Mio"],
}

SUFFIX = {
    "US": ["", "", "", "LLC", "Inc.", "Co."],
    "GB": ["", "", "", "Ltd", "Ltd.", "& Co"],
    "DE": ["", "", "GmbH", "GmbH", "GbR", "e.K.", "UG"],
    "FR": ["", "", "SARL", "SAS", "EURL"],
    "ES": ["", "", "S.L.", "S.L.U.", "S.A."],
    "IT": ["", "", "S.r.l.", "S.n.c.", "S.a.s."],
}

FIRST = {
    "en": ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
           "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
           "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa",
           "Anthony", "Betty", "Mark", "Margaret", "Steven", "Sandra", "Paul", "Ashley",
           "Andrew", "Emily", "Joshua", "Anna", "Oliver", "Amelia", "Harry", "Olivia",
           "George", "Isla", "Jack", "Emma", "Noah", "Sophie", "Martin", "Annie"],
    "de": ["Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Jürgen",
           "Sabine", "Susanne", "Petra", "Claudia", "Andrea", "Nicole", "Stefanie", "Anna",
           "Lukas", "Jonas", "Leon", "Felix", "Lena", "Laura", "Julia", "Katharina", "Jörg",
           "Uwe", "Anke", "Birgit", "Marie", "Martin", "Annika", "Annette", "Jan", "Tobias",
           "Sophie", "Marion", "Heike", "Ralf", "Dirk", "Björn"],
    "fr": ["Jean", "Marie", "Pierre", "Nathalie", "Michel", "Isabelle", "Philippe", "Sylvie",
           "Alain", "Catherine", "Nicolas", "Sophie", "Julien", "Camille", "Élodie", "Hélène",
           "François", "Céline", "Antoine", "Léa", "Thomas", "Manon", "Mathieu", "Anne",
           "Sébastien", "Chloé", "Laurent", "Martine", "Anaïs", "Marc", "Margaux", "Jérôme"],
    "es": ["Antonio", "María", "José", "Carmen", "Manuel", "Ana", "Francisco", "Isabel",
           "David", "Laura", "Juan", "Lucía", "Javier", "Marta", "Daniel", "Cristina",
           "Carlos", "Elena", "Miguel", "Paula", "Alejandro", "Raquel", "Sergio", "Pilar",
           "Pablo", "Marina", "Jorge", "Rocío", "Álvaro", "Núria", "Mario", "Andrea"],
    "it": ["Marco", "Giulia", "Alessandro", "Francesca", "Andrea", "Chiara", "Luca", "Sara",
           "Giuseppe", "Valentina", "Matteo", "Elena", "Lorenzo", "Martina", "Davide", "Anna",
           "Francesco", "Federica", "Simone", "Alessia", "Stefano", "Paola", "Roberto",
           "Silvia", "Mario", "Marta", "Antonio", "Laura", "Nicola", "Ilaria", "Paolo", "Marina"],
}

LAST = {
    "en": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
           "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
           "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young",
           "Hall", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
           "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
           "Parker", "Collins", "Edwards", "Stewart", "Morris", "O'Brien", "Murphy", "Cook",
           "Hughes", "Wood", "Patel", "Khan", "Davies", "Price", "Bennett"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
           "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
           "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
           "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer",
           "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "David",
           "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
           "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Légaré",
           "Fontaine", "Chevalier", "Rousseau", "Blanc", "Guérin", "Faure", "Gauthier"],
    "es": ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez",
           "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
           "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres",
           "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina",
           "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Iglesias", "Núñez", "Medina"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
           "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
           "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo",
           "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis"],
}

TITLES = {
    "en": ["Owner", "Founder", "CEO", "Managing Director", "Office Manager", "Practice Manager",
           "Marketing Manager", "General Manager", "Head Chef", "Director", "Co-Founder",
           "Operations Manager", "Partner", ""],
    "de": ["Inhaber", "Inhaberin", "Geschäftsführer", "Geschäftsführerin", "Praxismanagerin",
           "Büroleitung", "Marketingleiter", "Küchenchef", "Filialleiterin", "Partner", ""],
    "fr": ["Gérant", "Gérante", "Directeur", "Directrice", "Fondateur", "Responsable Marketing",
           "Chef de Cuisine", "Associé", "Président", ""],
    "es": ["Propietario", "Gerente", "Director General", "Directora", "Fundador",
           "Responsable de Marketing", "Socio", "Jefe de Cocina", "Administradora", ""],
    "it": ["Titolare", "Amministratore Unico", "Direttore", "Direttrice", "Fondatore",
           "Responsabile Marketing", "Socio", "Chef", "Office Manager", ""],
}

# Per country: cities with their trunk-less area code and subscriber length (ranges checked
# against libphonenumber), mobile prefixes, TLD, free-mail domains, country spellings, weight.
COUNTRIES = {
    "US": dict(
        lang="en", weight=30, tld="com", cc="1",
        cities=[("New York", "212", 7), ("Los Angeles", "213", 7), ("Chicago", "312", 7),
                ("Houston", "713", 7), ("Phoenix", "602", 7), ("San Diego", "619", 7),
                ("San Francisco", "415", 7), ("Austin", "512", 7), ("Seattle", "206", 7),
                ("Denver", "303", 7), ("Boston", "617", 7), ("Miami", "305", 7),
                ("Atlanta", "404", 7), ("Portland", "503", 7), ("Las Vegas", "702", 7),
                ("Brooklyn", "718", 7)],
        mobile=[],
        free=["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "icloud.com"],
        names=["US", "USA", "United States", "U.S.", "us", ""],
        inbox=["info", "contact", "hello", "office"],
    ),
    "DE": dict(
        lang="de", weight=20, tld="de", cc="49",
        cities=[("Berlin", "30", 8), ("Berlin", "30", 7), ("Hamburg", "40", 7),
                ("Hamburg", "40", 8), ("München", "89", 7), ("München", "89", 8),
                ("Köln", "221", 7), ("Frankfurt am Main", "69", 7), ("Frankfurt am Main", "69", 8),
                ("Stuttgart", "711", 7), ("Düsseldorf", "211", 7), ("Leipzig", "341", 7)],
        mobile=[("151", 8), ("160", 7), ("170", 7), ("171", 7), ("176", 8)],
        free=["gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de", "posteo.de"],
        names=["DE", "Germany", "Deutschland", "de", "GERMANY"],
        inbox=["info", "kontakt", "mail", "praxis", "buero"],
    ),
    "GB": dict(
        lang="en", weight=15, tld="co.uk", cc="44",
        cities=[("London", "207", 7), ("London", "208", 7), ("London", "203", 7),
                ("Manchester", "161", 7), ("Liverpool", "151", 7), ("Glasgow", "141", 7),
                ("Birmingham", "121", 7, 2, 7), ("Edinburgh", "131", 7, 2, 8),
                ("Leeds", "113", 7, 2, 5)],
        mobile=[("78", 8), ("74", 8), ("75", 8), ("79", 8)],
        free=["gmail.com", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk", "outlook.com"],
        names=["GB", "UK", "United Kingdom", "England", "Great Britain"],
        inbox=["info", "enquiries", "hello", "office", "reception"],
    ),
    "FR": dict(
        lang="fr", weight=12, tld="fr", cc="33",
        cities=[("Paris", "1", 8), ("Lyon", "4", 8), ("Marseille", "4", 8), ("Nice", "4", 8),
                ("Lille", "3", 8), ("Nantes", "2", 8, 2, 5), ("Strasbourg", "3", 8),
                ("Toulouse", "5", 8, 2, 8), ("Bordeaux", "5", 8, 2, 8)],
        mobile=[("6", 8, 4, 8), ("76", 7), ("77", 7), ("78", 7)],
        free=["gmail.com", "orange.fr", "free.fr", "wanadoo.fr", "laposte.net", "sfr.fr"],
        names=["FR", "France", "france", "FRANCE"],
        inbox=["contact", "info", "accueil", "bonjour"],
    ),
    "ES": dict(
        lang="es", weight=12, tld="es", cc="34",
        cities=[("Madrid", "91", 7), ("Barcelona", "93", 7), ("Valencia", "96", 7, 2, 4),
                ("Sevilla", "95", 7), ("Málaga", "95", 7), ("Bilbao", "94", 7),
                ("Alicante", "96", 7, 5, 6)],
        mobile=[("6", 8)],
        free=["gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"],
        names=["ES", "Spain", "España", "Espana", "SPAIN"],
        inbox=["info", "contacto", "hola", "administracion"],
    ),
    "IT": dict(
        lang="it", weight=11, tld="it", cc="39",
        cities=[("Roma", "06", 8), ("Milano", "02", 8), ("Napoli", "081", 7),
                ("Torino", "011", 7), ("Firenze", "055", 7), ("Bologna", "051", 7),
                ("Venezia", "041", 7), ("Palermo", "091", 7)],
        mobile=[("333", 7), ("335", 7), ("338", 7), ("340", 7), ("347", 7), ("348", 7),
                ("320", 7), ("328", 7), ("339", 7), ("393", 7)],
        free=["gmail.com", "libero.it", "virgilio.it", "alice.it", "tiscali.it", "hotmail.it"],
        names=["IT", "Italy", "Italia", "italia", "ITALY"],
        inbox=["info", "contatti", "segreteria", "amministrazione"],
    ),
}
# Entries are (name, area, subscriber digits[, lowest first digit, highest first digit]); the
# first-digit range (default 2-9) keeps to blocks libphonenumber calls valid. Every range holds
# at least 2 million subscribers, so phones stay unique for files of up to 2 million rows.

CODES = list(COUNTRIES)
CUM_WEIGHTS = []
_acc = 0
for _c in CODES:
    _acc += COUNTRIES[_c]["weight"]
    CUM_WEIGHTS.append(_acc)
TOTAL_WEIGHT = _acc

_ASCII_CACHE = {}


def ascii_slug(s, sep="-"):
    """'Zahnarztpraxis Dr. Müller' -> 'zahnarztpraxis-dr-mueller'."""
    key = (s, sep)
    v = _ASCII_CACHE.get(key)
    if v is None:
        t = s.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
        t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
        out, prev = [], True
        for ch in t:
            if ch.isalnum():
                out.append(ch)
                prev = False
            elif not prev:
                out.append(sep)
                prev = True
        v = "".join(out).strip(sep)
        _ASCII_CACHE[key] = v
    return v


# A prime, so coprime with every subscriber range: (uid * MULT + salt) % span is one-to-one for
# uid < span, and consecutive uids land far apart (numbers do not look sequential).
MULT = 2_654_435_761


def subscriber(uid, length, salt, lo=2, hi=9):
    """A subscriber number of `length` digits starting with lo..hi, unique per uid."""
    unit = 10 ** (length - 1)
    span = (hi - lo + 1) * unit
    return str(lo * unit + (uid * MULT + salt) % span)


def group(d, sizes):
    out, i = [], 0
    for s in sizes:
        out.append(d[i:i + s])
        i += s
    if i < len(d):
        out.append(d[i:])
    return [x for x in out if x]


def format_phone(r, cc, country, area, sub, mobile):
    """One of the ways people write this number. Returns (text, needs_country_column)."""
    nsn = area + sub
    x = r.random()
    if cc == "US":
        a, b, c = area, sub[:3], sub[3:]
        if x < 0.30:
            return f"({a}) {b}-{c}", True
        if x < 0.45:
            return f"{a}-{b}-{c}", True
        if x < 0.55:
            return f"{a}.{b}.{c}", True
        if x < 0.70:
            return f"+1.{a}.{b}.{c}", False
        if x < 0.82:
            return f"+1 {a} {b} {c}", False
        if x < 0.90:
            return f"1-{a}-{b}-{c}", True
        if x < 0.95:
            return f"+1 ({a}) {b}-{c}", False
        return f"{a}{b}{c}", True
    code = country["cc"]
    trunk = "" if cc == "IT" else "0"
    if cc == "FR":
        pairs = " ".join(group(nsn[1:], [2, 2, 2, 2]))
        if x < 0.35:
            return f"0{nsn[0]} {pairs}", True
        if x < 0.50:
            return f"0{nsn[0]}." + pairs.replace(" ", "."), True
        if x < 0.70:
            return f"+33 {nsn[0]} {pairs}", False
        if x < 0.80:
            return f"0033 {nsn[0]} {pairs}", True
        if x < 0.88:
            return f"+33 (0){nsn[0]} {pairs}", False
        return f"0{nsn}", True
    if cc == "GB":
        if area.startswith("20"):
            a, rest = "20", nsn[2:]
            local = f"{rest[:4]} {rest[4:]}"
        elif mobile:
            a, rest = nsn[:4], nsn[4:]
            local = rest
        else:
            a, rest = area, sub
            local = f"{rest[:3]} {rest[3:]}"
        if x < 0.35:
            return f"0{a} {local}", True
        if x < 0.55:
            return f"+44 {a} {local}", False
        if x < 0.70:
            return f"0044 {a} {local}", True
        if x < 0.80:
            return f"+44 (0){a} {local}", False
        if x < 0.90:
            return f"(0{a}) {local}", True
        return f"0{nsn}", True
    # DE, ES, IT
    if cc == "ES":
        spaced = " ".join(group(nsn, [3, 3, 3])) if x < 0.5 else " ".join(group(nsn, [2, 3, 2, 2]))
        y = r.random()
        if y < 0.45:
            return spaced, True
        if y < 0.70:
            return f"+34 {spaced}", False
        if y < 0.80:
            return f"0034 {spaced}", True
        if y < 0.90:
            return f"+34-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}", False
        return nsn, True
    if x < 0.25:
        return f"+{code} {area} {sub}", False
    if x < 0.45:
        return f"{trunk}{area}/{sub}" if cc == "DE" else f"{trunk}{area} {sub}", True
    if x < 0.60:
        return f"{trunk}{area} {sub}", True
    if x < 0.70:
        return f"00{code} {area} {sub}", True
    if x < 0.78 and cc == "DE":
        return f"+49 (0){area} {sub}", False
    if x < 0.86:
        return f"{trunk}{area}-{sub}", True
    if x < 0.93:
        return f"+{code} {area} {sub[:3]} {sub[3:]}", False
    return f"{trunk}{nsn}", True


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.uid = 0
        # Reservoir of earlier unique rows (uniform over the whole file) to copy duplicates from.
        self.reservoir = []
        self.reservoir_max = 20_000
        self.seen_unique = 0
        self.counts = dict(unique=0, business_listings=0, duplicates=0, dup_email=0,
                           dup_phone=0, dup_website=0, bad=0)

    def pick_country(self):
        x = self.r.random() * TOTAL_WEIGHT
        for code, w in zip(CODES, CUM_WEIGHTS):
            if x < w:
                return code
        return CODES[-1]

    def unique_row(self):
        r = self.r
        self.uid += 1
        uid = self.uid
        cc = self.pick_country()
        c = COUNTRIES[cc]
        lang = c["lang"]
        city, area, sublen, *first_digits = c["cities"][int(r.random() * len(c["cities"]))]
        cat = CATEGORIES[int(r.random() * len(CATEGORIES))]
        words = CAT_WORDS[lang][cat]
        word = words[int(r.random() * len(words))]
        first = FIRST[lang][int(r.random() * len(FIRST[lang]))]
        last = LAST[lang][int(r.random() * len(LAST[lang]))]
        t = r.random()
        if t < 0.40:
            core = f"{word} {last}" if lang != "en" else f"{last} {word}"
        elif t < 0.65:
            fancy = FANCY[lang][int(r.random() * len(FANCY[lang]))]
            core = f"{word} {fancy}" if lang != "en" else f"{fancy} {word}"
        elif t < 0.85:
            core = f"{word} {city}" if lang != "en" else f"{city} {word}"
        else:
            core = f"{last} & {LAST[lang][int(r.random() * len(LAST[lang]))]} {word}"
        suffix = SUFFIX[cc][int(r.random() * len(SUFFIX[cc]))]
        company = f"{core} {suffix}" if suffix else core
        domain = f"{ascii_slug(core)}-{uid}.{c['tld']}"
        w = r.random()
        if w < 0.30:
            website = f"https://www.{domain}"
        elif w < 0.50:
            website = f"www.{domain}"
        elif w < 0.65:
            website = domain
        elif w < 0.80:
            website = f"http://{domain}/"
        elif w < 0.88:
            website = f"https://{domain}/kontakt" if cc == "DE" else f"https://{domain}/contact"
        elif w < 0.94:
            website = f"https://www.{domain}/?utm_source=google&utm_medium=maps"
        else:
            website = ""  # no website: company by name only
        # Phone: landline of the city, or a mobile; ~8% of rows have none.
        p = r.random()
        phone = ""
        if p < 0.92:
            mobile = bool(c["mobile"]) and p < 0.22
            if mobile:
                pre, plen, *mob_digits = c["mobile"][int(r.random() * len(c["mobile"]))]
                ph_area, ph_sub = pre, subscriber(uid, plen, 11, *mob_digits)
            else:
                ph_area, ph_sub = area, subscriber(uid, sublen, 0, *first_digits)
            phone, needs_country = format_phone(r, cc, c, ph_area, ph_sub, mobile)
        else:
            needs_country = True
        names = c["names"]
        country = names[int(r.random() * len(names))]
        if not country and needs_country and cc != "US":
            country = cc
        if not needs_country and r.random() < 0.3:
            country = ""  # international notation needs no country column
        b = r.random()
        if b < 0.15:
            # Business listing (scraped from a map): no person, a generic inbox or none.
            self.counts["business_listings"] += 1
            inbox = c["inbox"][int(r.random() * len(c["inbox"]))]
            email = f"{inbox}@{domain}" if (b < 0.11 and website) else ""
            if not email and not phone:
                phone_area, phone_sub = area, subscriber(uid, sublen, 0, *first_digits)
                phone, _ = format_phone(r, cc, c, phone_area, phone_sub, False)
                if not country:
                    country = cc
            row = [company, website, email, phone, "", "", "", city, country, cat]
        else:
            local = f"{ascii_slug(first, '.')}.{ascii_slug(last, '.')}.{uid}"
            if r.random() < 0.6 and website:
                email = f"{local}@{domain}"
            else:
                free = c["free"]
                email = f"{local}@{free[int(r.random() * len(free))]}"
            if r.random() < 0.04 and phone:
                email = ""  # phone only
            title = TITLES[lang][int(r.random() * len(TITLES[lang]))]
            row = [company, website, email, phone, first, last, title, city, country, cat]
        self.counts["unique"] += 1
        self.remember(row, cc)
        return row

    def remember(self, row, cc):
        # Reservoir sampling (Algorithm R): a uniform sample of all unique rows so far.
        self.seen_unique += 1
        if len(self.reservoir) < self.reservoir_max:
            self.reservoir.append((row, cc))
        else:
            j = int(self.r.random() * self.seen_unique)
            if j < self.reservoir_max:
                self.reservoir[j] = (row, cc)

    def duplicate_row(self):
        r = self.r
        orig, cc = self.reservoir[int(r.random() * len(self.reservoir))]
        row = list(orig)
        company, website, email, phone = row[0], row[1], row[2], row[3]
        x = r.random()
        if email and (x < 0.65 or not phone):
            # Same address, other spelling: case and stray whitespace; other fields may differ.
            y = r.random()
            if y < 0.4:
                email = email.upper()
            elif y < 0.7:
                local, _, dom = email.partition("@")
                email = local.title() + "@" + dom.capitalize()
            if r.random() < 0.5:
                email = " " + email + "  "
            row[2] = email
            if r.random() < 0.3:
                row[6] = TITLES[COUNTRIES[cc]["lang"]][0]  # a changed job title
            if r.random() < 0.2:
                row[3] = ""
            self.counts["dup_email"] += 1
        elif phone:
            # Same phone, no e-mail: re-format the digits in another notation.
            row[2] = ""
            digits = "".join(ch for ch in phone if ch.isdigit())
            if phone.startswith("+"):
                row[3] = phone.replace(" ", "").replace(".", "")
            elif digits.startswith("00"):
                row[3] = "+" + digits[2:]
            else:
                row[3] = digits
            if not row[8]:
                row[8] = cc
            self.counts["dup_phone"] += 1
        else:
            # Business listing without e-mail or phone cannot happen; website variant.
            row[1] = website.upper() if website else website
            self.counts["dup_website"] += 1
        if r.random() < 0.3:
            row[0] = company.upper()
        self.counts["duplicates"] += 1
        return row

    def bad_row(self):
        r = self.r
        cc = self.pick_country()
        c = COUNTRIES[cc]
        lang = c["lang"]
        city = c["cities"][int(r.random() * len(c["cities"]))][0]
        country = c["names"][0] or cc
        first = FIRST[lang][int(r.random() * len(FIRST[lang]))]
        last = LAST[lang][int(r.random() * len(LAST[lang]))]
        local = f"{ascii_slug(first, '.')}.{ascii_slug(last, '.')}"
        x = r.random()
        self.counts["bad"] += 1
        if x < 0.30:
            return ["", "", "", "", "", "", "", city, country, ""]
        if x < 0.65:
            free = c["free"][0]
            bad = [f"{local}(at){free}", f"{local}@", f"@{free}", f"{first} {last}@{free}",
                   f"{local}@{free.split('.')[0]}", f"{local}..x@{free}", f"{local}@@{free}",
                   "email", f"{local} at {free}"][int(r.random() * 9)]
            return ["", "", bad, "", "", "", "", city, country, ""]
        if x < 0.85:
            title = TITLES[lang][int(r.random() * len(TITLES[lang]))]
            return ["", "", "", "", first, last, title, city, country, ""]
        junk = ["call us", "n/a", "-", "tbd", "x", "?", "none", "ask for owner"][int(r.random() * 8)]
        return ["", "", "", junk, "", "", "", city, country, ""]

    def row(self, i):
        x = self.r.random()
        if i > 100 and x < 0.10:
            return self.duplicate_row()
        if x < 0.12:
            return self.bad_row()
        return self.unique_row()


def check(path, k):
    import phonenumbers  # only for --check
    from phonenumbers import NumberParseException

    regions = {}
    for code, c in COUNTRIES.items():
        for n in c["names"]:
            if n:
                regions[n.lower()] = code
    ok = total = 0
    failures = []
    with open(path, newline="", encoding="utf-8") as f:
        rd = csv.reader(f)
        next(rd)
        for i, rec in enumerate(rd):
            if i >= k:
                break
            raw = rec[3].strip()
            if not raw or not (rec[0] or rec[1] or "@" in rec[2]):
                continue  # no phone, or a bad row
            total += 1
            region = regions.get(rec[8].strip().lower(), "US")
            s = raw.replace("(0)", "")
            if s.startswith("00"):
                s = "+" + s[2:]
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(s, region)):
                    ok += 1
                    continue
            except NumberParseException:
                pass
            if len(failures) < 10:
                failures.append((raw, rec[8]))
    share = ok / total if total else 0.0
    print(json.dumps({"checked_phones": total, "valid": ok, "share": round(share, 4),
                      "examples_invalid": failures}), file=sys.stderr)
    return share


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--check", type=int, default=0, metavar="K",
                    help="afterwards validate the phones of the first K rows with phonenumbers")
    a = ap.parse_args()
    t0 = time.time()
    g = Gen(a.seed)
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        batch = []
        for i in range(a.n):
            batch.append(g.row(i))
            if len(batch) == 10_000:
                w.writerows(batch)
                batch.clear()
        w.writerows(batch)
    summary = dict(rows=a.n, seed=a.seed, seconds=round(time.time() - t0, 2), **g.counts)
    print(json.dumps(summary), file=sys.stderr)
    if a.check:
        share = check(a.out, a.check)
        if share < 0.95:
            sys.exit(f"only {share:.1%} of phones validate (want >= 95%)")


if __name__ == "__main__":
    main()
