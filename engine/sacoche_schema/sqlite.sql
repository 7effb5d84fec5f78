-- SACoche tables touched by the ONDE import, for SQLite (embedded demo and fast-test database).
--
-- Written from the project's target sheet (shared/sacoche-target.md), NOT copied from SACoche.
-- Mirror of mysql.sql: same tables, same column names and order, same defaults (written as the
-- same literals), same NOT NULLs, same keys (plus one index, below) and the same reference rows.
--
-- What SQLite does NOT reproduce (tests that depend on these must run on MariaDB, marker `mariadb`):
--   * Collation. MySQL's utf8_unicode_ci ignores case and accents ('Élodie' = 'elodie', 'Œuvre' = 'oeuvre')
--     and trailing spaces, including in UNIQUE(user_login). SQLite compares bytes (BINARY); COLLATE NOCASE
--     only folds ASCII A-Z, so it is NOT equivalent and is deliberately not used. The project never relies
--     on SQL collation for matching: names and logins are folded and compared in Python.
--   * Charset. SQLite stores any UTF-8, including characters outside the BMP (emoji) that MySQL's 3-byte
--     utf8 refuses or mangles into '????'. The engine must deal with them before writing.
--   * Types. ENUMs are TEXT with a CHECK constraint; VARCHAR(n)/CHAR(n) are TEXT with a CHECK on length()
--     (MySQL strict mode refuses over-long values, non-strict mode truncates them silently); integer widths
--     and UNSIGNED are not enforced; DATE/DATETIME are 'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' text.
--   * No MyISAM semantics: SQLite has transactions, MySQL's MyISAM tables have none.
--
-- Idempotent: CREATE TABLE IF NOT EXISTS and INSERT OR IGNORE.

CREATE TABLE IF NOT EXISTS sacoche_user (
  user_id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_sconet_id       INTEGER NOT NULL DEFAULT 0,
  user_sconet_elenoet  INTEGER NOT NULL DEFAULT 0,
  user_reference       TEXT    NOT NULL DEFAULT '' CHECK (length(user_reference) <= 11),
  user_profil_sigle    TEXT    NOT NULL DEFAULT '' CHECK (length(user_profil_sigle) <= 3),
  user_genre           TEXT    NOT NULL DEFAULT 'I' CHECK (user_genre IN ('I', 'M', 'F')),
  user_nom             TEXT    NOT NULL DEFAULT '' CHECK (length(user_nom) <= 25),
  user_prenom          TEXT    NOT NULL DEFAULT '' CHECK (length(user_prenom) <= 25),
  user_naissance_date  TEXT        NULL DEFAULT NULL,
  user_email           TEXT    NOT NULL DEFAULT '' CHECK (length(user_email) <= 63),
  user_email_origine   TEXT    NOT NULL DEFAULT '' CHECK (user_email_origine IN ('', 'user', 'admin')),
  user_login           TEXT    NOT NULL DEFAULT '' CHECK (length(user_login) <= 30),
  user_password        TEXT    NOT NULL DEFAULT '' CHECK (length(user_password) <= 32),
  user_langue          TEXT    NOT NULL DEFAULT '' CHECK (length(user_langue) <= 6),
  user_daltonisme      INTEGER NOT NULL DEFAULT 0,
  user_connexion_date  TEXT        NULL DEFAULT NULL,
  user_sortie_date     TEXT    NOT NULL DEFAULT '9999-12-31',
  eleve_classe_id      INTEGER NOT NULL DEFAULT 0,
  eleve_lv1            INTEGER NOT NULL DEFAULT 100,
  eleve_lv2            INTEGER NOT NULL DEFAULT 100,
  eleve_uai_origine    TEXT    NOT NULL DEFAULT '' CHECK (length(eleve_uai_origine) <= 8),
  user_id_ent          TEXT    NOT NULL DEFAULT '' CHECK (length(user_id_ent) <= 63),
  user_id_gepi         TEXT    NOT NULL DEFAULT '' CHECK (length(user_id_gepi) <= 63),
  user_param_accueil   TEXT    NOT NULL DEFAULT '' CHECK (length(user_param_accueil) <= 127),
  user_param_menu      TEXT        NULL,
  user_param_favori    TEXT        NULL,
  user_pass_key        TEXT    NOT NULL DEFAULT '' CHECK (length(user_pass_key) <= 32),
  CONSTRAINT user_login UNIQUE (user_login)
);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_sigle ON sacoche_user (user_profil_sigle);
CREATE INDEX IF NOT EXISTS sacoche_user_sortie_date ON sacoche_user (user_sortie_date);
CREATE INDEX IF NOT EXISTS sacoche_user_eleve_classe_id ON sacoche_user (eleve_classe_id);
CREATE INDEX IF NOT EXISTS sacoche_user_id_ent ON sacoche_user (user_id_ent);
CREATE INDEX IF NOT EXISTS sacoche_user_id_gepi ON sacoche_user (user_id_gepi);
-- Not in mysql.sql: the scripts look logins up case-insensitively (lower(user_login) = lower(…)), which
-- MySQL's UNIQUE(user_login) serves through its collation; without this index SQLite reads every row.
CREATE INDEX IF NOT EXISTS sacoche_user_login_lower ON sacoche_user (lower(user_login));

CREATE TABLE IF NOT EXISTS sacoche_groupe (
  groupe_id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  groupe_type     TEXT    NOT NULL DEFAULT 'classe'
                  CHECK (groupe_type IN ('classe', 'groupe', 'besoin', 'eval')),
  groupe_ref      TEXT    NOT NULL DEFAULT '' CHECK (length(groupe_ref) <= 20),
  groupe_nom      TEXT    NOT NULL DEFAULT '' CHECK (length(groupe_nom) <= 20),
  niveau_id       INTEGER NOT NULL DEFAULT 0,
  groupe_chef_id  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sacoche_groupe_type ON sacoche_groupe (groupe_type);
CREATE INDEX IF NOT EXISTS sacoche_groupe_niveau_id ON sacoche_groupe (niveau_id);

CREATE TABLE IF NOT EXISTS sacoche_jointure_user_groupe (
  user_id      INTEGER NOT NULL DEFAULT 0,
  groupe_id    INTEGER NOT NULL DEFAULT 0,
  jointure_pp  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, groupe_id)
);
CREATE INDEX IF NOT EXISTS sacoche_jointure_user_groupe_groupe_id ON sacoche_jointure_user_groupe (groupe_id);

CREATE TABLE IF NOT EXISTS sacoche_niveau (
  niveau_id          INTEGER NOT NULL DEFAULT 0 PRIMARY KEY,
  niveau_actif       INTEGER NOT NULL DEFAULT 0,
  niveau_usuel       INTEGER NOT NULL DEFAULT 0,
  niveau_famille_id  INTEGER NOT NULL DEFAULT 0,
  niveau_ordre       INTEGER NOT NULL DEFAULT 0,
  niveau_ref         TEXT    NOT NULL DEFAULT '' CHECK (length(niveau_ref) <= 6),
  code_mef           TEXT    NOT NULL DEFAULT '' CHECK (length(code_mef) <= 11),
  niveau_nom         TEXT    NOT NULL DEFAULT '' CHECK (length(niveau_nom) <= 63)
);
CREATE INDEX IF NOT EXISTS sacoche_niveau_actif ON sacoche_niveau (niveau_actif);
CREATE INDEX IF NOT EXISTS sacoche_niveau_famille_id ON sacoche_niveau (niveau_famille_id);

CREATE TABLE IF NOT EXISTS sacoche_user_profil (
  user_profil_sigle               TEXT    NOT NULL DEFAULT '' PRIMARY KEY CHECK (length(user_profil_sigle) <= 3),
  user_profil_type                TEXT    NOT NULL DEFAULT '' CHECK (length(user_profil_type) <= 15),
  user_profil_nom_court           TEXT    NOT NULL DEFAULT '' CHECK (length(user_profil_nom_court) <= 31),
  user_profil_login_modele        TEXT    NOT NULL DEFAULT 'ppp.nnnnnnnn'
                                  CHECK (length(user_profil_login_modele) <= 20),
  user_profil_mdp_longueur_mini   INTEGER NOT NULL DEFAULT 6,
  user_profil_mdp_date_naissance  INTEGER NOT NULL DEFAULT 0
);

-- Reference rows: identical to mysql.sql.

INSERT OR IGNORE INTO sacoche_niveau
  (niveau_id, niveau_actif, niveau_usuel, niveau_famille_id, niveau_ordre, niveau_ref, code_mef, niveau_nom)
VALUES
  (    1, 0, 0,  1,  1, 'P1',     '', 'Cycle 1 (PS-MS-GS)'),
  (    2, 0, 0,  1,  2, 'P2',     '', 'Cycle 2 (CP-CE1-CE2)'),
  (    3, 0, 0,  1,  3, 'P3',     '', 'Cycle 3 (CM1-CM2-6E)'),
  ( 1011, 1, 1, 60, 10, 'TPS',    '', 'Maternelle, toute petite section'),
  ( 1031, 1, 1, 60, 11, 'PS',     '', 'Maternelle, petite section'),
  ( 1032, 1, 1, 60, 12, 'MS',     '', 'Maternelle, moyenne section'),
  ( 1033, 1, 1, 60, 13, 'GS',     '', 'Maternelle, grande section'),
  (10001, 1, 1, 60, 21, 'CP',     '', 'Cours préparatoire'),
  (20001, 1, 1, 60, 22, 'CE1',    '', 'Cours élémentaire 1re année'),
  (20002, 1, 1, 60, 23, 'CE2',    '', 'Cours élémentaire 2e année'),
  (30001, 1, 1, 60, 31, 'CM1',    '', 'Cours moyen 1re année'),
  (30002, 1, 1, 60, 32, 'CM2',    '', 'Cours moyen 2e année'),
  (60002, 1, 0, 60, 41, '1UPE2A', '', 'Unité pédagogique pour élèves allophones arrivants'),
  (62001, 1, 0, 60, 42, 'CLIS',   '', 'Classe pour l''inclusion scolaire');

INSERT OR IGNORE INTO sacoche_user_profil
  (user_profil_sigle, user_profil_type, user_profil_nom_court,
   user_profil_login_modele, user_profil_mdp_longueur_mini, user_profil_mdp_date_naissance)
VALUES
  ('ELV', 'eleve',          'élève',          'ppp.nnnnnnnn', 6, 0),
  ('TUT', 'parent',         'responsable',    'ppp.nnnnnnnn', 6, 0),
  ('ENS', 'professeur',     'enseignant',     'ppp.nnnnnnnn', 6, 0),
  ('DIR', 'directeur',      'directeur',      'ppp.nnnnnnnn', 6, 0),
  ('ADM', 'administrateur', 'administrateur', 'ppp.nnnnnnnn', 6, 0);
