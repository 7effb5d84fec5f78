"""What the SQL scripts may write, named once for the render stage: the script and dialect names, the
columns of SACoche's tables a plan may set (identifiers in the SQL only ever come from here, never from
plan.json) and the widths used when a plan does not say.
"""

from __future__ import annotations

import re
from typing import Any

from engine.state import ACTIVE, ADDRESS_COLUMNS
from engine.widths import DEFAULT_WIDTHS

SQL_DIR = "sql"
DIALECTS = ("mysql", "sqlite")
SCRIPTS = ("apply", "revert", "verify")
#: the item kinds that change an existing account's row of sacoche_user
USER_KINDS = ("update", "deactivate", "reactivate")

# Columns of sacoche_user a plan may set: (type, default max length or allowed values). The lengths that
# matter are read from the database when planning (plan.json state.widths, engine.widths); these are
# only SACoche's current DDL's, used when a plan does not say.
TEXT, DATE, INT, CLASS = "text", "date", "int", "class"
USER_COLUMNS: dict[str, tuple[str, Any]] = {
    "user_reference": (TEXT, 11),
    "user_profil_sigle": (TEXT, ("ELV",)),
    "user_genre": (TEXT, ("I", "M", "F")),
    "user_nom": (TEXT, 50),
    "user_prenom": (TEXT, 50),
    "user_naissance_date": (DATE, None),
    "user_email": (TEXT, 100),
    "user_email_origine": (TEXT, ("", "user", "admin")),
    "user_login": (TEXT, 50),
    "user_password": (TEXT, 32),
    "user_sortie_date": (DATE, None),
    "eleve_classe_id": (CLASS, None),
}
# Every column of sacoche_user but user_id, in table order, with the value a new pupil gets when the plan
# does not say (the NOT NULL columns are all written explicitly). CLASS = resolved by ref in the script.
CREATE_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("user_sconet_id", INT, 0),
    ("user_sconet_elenoet", INT, 0),
    ("user_reference", TEXT, ""),
    ("user_profil_sigle", TEXT, "ELV"),
    ("user_genre", TEXT, "I"),
    ("user_nom", TEXT, None),
    ("user_prenom", TEXT, None),
    ("user_naissance_date", DATE, None),
    ("user_email", TEXT, ""),
    ("user_email_origine", TEXT, ""),
    ("user_login", TEXT, None),
    ("user_password", TEXT, None),
    ("user_langue", TEXT, ""),
    ("user_daltonisme", INT, 0),
    ("user_connexion_date", DATE, None),
    ("user_sortie_date", DATE, ACTIVE),
    ("eleve_classe_id", CLASS, None),
    ("eleve_lv1", INT, 100),
    ("eleve_lv2", INT, 100),
    ("eleve_uai_origine", TEXT, ""),
    ("user_id_ent", TEXT, ""),
    ("user_id_gepi", TEXT, ""),
    ("user_param_accueil", TEXT, ""),
    ("user_param_menu", TEXT, None),
    ("user_param_favori", TEXT, None),
    ("user_pass_key", TEXT, ""),
)
CREATE_REQUIRED = ("user_nom", "user_prenom", "user_login", "user_password", "eleve_classe_id")
# Columns a re-created account is recognised by (revert guards): identity, not the password (a pupil may
# have changed it since), not the connection date.
CREATED_IDENTITY = (
    "user_profil_sigle",
    "user_reference",
    "user_nom",
    "user_prenom",
    "user_genre",
    "user_naissance_date",
    "user_login",
    "user_sortie_date",
    "eleve_classe_id",
)
ARCHIVE_COLUMNS = ("siecle_import_date", "siecle_import_annee", "siecle_import_contenu")
#: characters of archive content per statement: each statement stays far below the smallest
#: max_allowed_packet (1 MiB), even written as hexadecimal
ARCHIVE_CHUNK = 200_000
GROUP_REF_LENGTH = 20
GROUP_NAME_LENGTH = 20
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Parents (docs/parents.md): TUT accounts of sacoche_user, their links and their address.
PARENT = "TUT"
#: the profile of the children a parent is linked to
PUPIL = "ELV"
#: the parent item kinds that change an existing parent's row of sacoche_user
PARENT_USER_KINDS = ("parent_update", "parent_reactivate", "parent_deactivate")
#: the columns of sacoche_parent_adresse a plan may set, with SACoche's current DDL's widths
ADDRESS_COLUMN_TYPES: dict[str, int] = {column: DEFAULT_WIDTHS[column] for column in ADDRESS_COLUMNS}
#: the columns of a parent's account a plan may set when it creates it
PARENT_CREATE_COLUMNS = (
    "user_profil_sigle",
    "user_genre",
    "user_nom",
    "user_prenom",
    "user_email",
    "user_email_origine",
    "user_login",
    "user_password",
    "user_sortie_date",
)
