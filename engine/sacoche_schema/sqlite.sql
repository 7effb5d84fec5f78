-- SACoche tables touched by the ONDE import, for SQLite (embedded demo and fast-test database).
--
-- Mirror of mysql.sql (SACoche's 2017-12-22 DDL): same tables, same column names and order, same defaults
-- (written as the same literals), same NOT NULLs, same keys (plus one index, below) and the same reference
-- rows. Text columns keep their declared VARCHAR(n)/CHAR(n) type (SQLite gives it TEXT affinity; PRAGMA
-- table_info reports it, which is how the engine reads the widths) plus a CHECK on length().
--
-- What SQLite does NOT reproduce (tests that depend on these must run on MariaDB, marker `mariadb`):
--   * Collation. MySQL's utf8_unicode_ci ignores case and accents ('Élodie' = 'elodie', 'Œuvre' = 'oeuvre')
--     and trailing spaces, including in UNIQUE(user_login). SQLite compares bytes (BINARY); COLLATE NOCASE
--     only folds ASCII A-Z, so it is NOT equivalent and is deliberately not used. The project never relies
--     on SQL collation for matching: names and logins are folded and compared in Python.
--   * Charset. SQLite stores any UTF-8, including characters outside the BMP (emoji) that MySQL's 3-byte
--     utf8 refuses or mangles into '????'. The engine must deal with them before writing.
--   * Types. ENUMs are TEXT with a CHECK constraint; VARCHAR(n)/CHAR(n) are enforced by a CHECK on length()
--     (MySQL strict mode refuses over-long values, non-strict mode truncates them silently); integer widths
--     and UNSIGNED are not enforced; DATE/DATETIME are 'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' text.
--   * No MyISAM semantics: SQLite has transactions, MySQL's MyISAM tables have none.
--
-- Idempotent: CREATE TABLE IF NOT EXISTS and INSERT OR IGNORE.

CREATE TABLE IF NOT EXISTS sacoche_user (
  user_id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  user_sconet_id       INTEGER NOT NULL DEFAULT 0,
  user_sconet_elenoet  INTEGER NOT NULL DEFAULT 0,
  user_reference       CHAR(11) NOT NULL DEFAULT '' CHECK (length(user_reference) <= 11),
  user_profil_sigle    CHAR(3) NOT NULL DEFAULT '' CHECK (length(user_profil_sigle) <= 3),
  user_genre           TEXT    NOT NULL DEFAULT 'I' CHECK (user_genre IN ('I', 'M', 'F')),
  user_nom             VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(user_nom) <= 50),
  user_prenom          VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(user_prenom) <= 50),
  user_naissance_date  TEXT        NULL DEFAULT NULL,
  user_email           VARCHAR(100) NOT NULL DEFAULT '' CHECK (length(user_email) <= 100),
  user_email_origine   TEXT    NOT NULL DEFAULT '' CHECK (user_email_origine IN ('', 'user', 'admin')),
  user_login           VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(user_login) <= 50),
  user_password        CHAR(32) NOT NULL DEFAULT '' CHECK (length(user_password) <= 32),
  user_langue          VARCHAR(6) NOT NULL DEFAULT '' CHECK (length(user_langue) <= 6),
  user_daltonisme      INTEGER NOT NULL DEFAULT 0,
  user_connexion_date  TEXT        NULL DEFAULT NULL,
  user_sortie_date     TEXT    NOT NULL DEFAULT '9999-12-31',
  eleve_classe_id      INTEGER NOT NULL DEFAULT 0,
  eleve_lv1            INTEGER NOT NULL DEFAULT 100,
  eleve_lv2            INTEGER NOT NULL DEFAULT 100,
  eleve_uai_origine    CHAR(8) NOT NULL DEFAULT '' CHECK (length(eleve_uai_origine) <= 8),
  user_id_ent          VARCHAR(63) NOT NULL DEFAULT '' CHECK (length(user_id_ent) <= 63),
  user_id_gepi         VARCHAR(63) NOT NULL DEFAULT '' CHECK (length(user_id_gepi) <= 63),
  user_param_accueil   VARCHAR(127) NOT NULL DEFAULT '' CHECK (length(user_param_accueil) <= 127),
  user_param_menu      TEXT        NULL,
  user_param_favori    TEXT        NULL,
  user_pass_key        CHAR(32) NOT NULL DEFAULT '' CHECK (length(user_pass_key) <= 32),
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
  groupe_ref      VARCHAR(20) NOT NULL DEFAULT '' CHECK (length(groupe_ref) <= 20),
  groupe_nom      VARCHAR(20) NOT NULL DEFAULT '' CHECK (length(groupe_nom) <= 20),
  niveau_id       INTEGER NOT NULL DEFAULT 0,
  groupe_chef_id  INTEGER NOT NULL DEFAULT 0,
  groupe_configuration_releve    VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(groupe_configuration_releve) <= 15),
  groupe_configuration_bulletin  VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(groupe_configuration_bulletin) <= 15),
  groupe_configuration_livret    VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(groupe_configuration_livret) <= 15)
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

-- Parents (profile TUT) and their children; one postal address per parent (mirror of mysql.sql).
CREATE TABLE IF NOT EXISTS sacoche_jointure_parent_eleve (
  parent_id      INTEGER NOT NULL DEFAULT 0,
  eleve_id       INTEGER NOT NULL DEFAULT 0,
  resp_legal_num INTEGER NOT NULL DEFAULT 1 CHECK (resp_legal_num BETWEEN 0 AND 255),
  PRIMARY KEY (parent_id, eleve_id)
);
CREATE INDEX IF NOT EXISTS sacoche_jointure_parent_eleve_eleve_id ON sacoche_jointure_parent_eleve (eleve_id);

CREATE TABLE IF NOT EXISTS sacoche_parent_adresse (
  parent_id              INTEGER NOT NULL DEFAULT 0 PRIMARY KEY,
  adresse_ligne1         VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(adresse_ligne1) <= 50),
  adresse_ligne2         VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(adresse_ligne2) <= 50),
  adresse_ligne3         VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(adresse_ligne3) <= 50),
  adresse_ligne4         VARCHAR(50) NOT NULL DEFAULT '' CHECK (length(adresse_ligne4) <= 50),
  adresse_postal_code    VARCHAR(10) NOT NULL DEFAULT '' CHECK (length(adresse_postal_code) <= 10),
  adresse_postal_libelle VARCHAR(45) NOT NULL DEFAULT '' CHECK (length(adresse_postal_libelle) <= 45),
  adresse_pays_nom       VARCHAR(35) NOT NULL DEFAULT '' CHECK (length(adresse_pays_nom) <= 35)
);

CREATE TABLE IF NOT EXISTS sacoche_niveau (
  niveau_id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  niveau_actif       INTEGER NOT NULL DEFAULT 0,
  niveau_usuel       INTEGER NOT NULL DEFAULT 0,
  niveau_famille_id  INTEGER NOT NULL DEFAULT 0,
  niveau_ordre       INTEGER NOT NULL DEFAULT 0,
  niveau_ref         VARCHAR(6) NOT NULL DEFAULT '' CHECK (length(niveau_ref) <= 6),
  code_mef           CHAR(11) NOT NULL DEFAULT '' CHECK (length(code_mef) <= 11),
  niveau_nom         VARCHAR(75) NOT NULL DEFAULT '' CHECK (length(niveau_nom) <= 75)
);
CREATE INDEX IF NOT EXISTS sacoche_niveau_actif ON sacoche_niveau (niveau_actif);
CREATE INDEX IF NOT EXISTS sacoche_niveau_famille_id ON sacoche_niveau (niveau_famille_id);

CREATE TABLE IF NOT EXISTS sacoche_user_profil (
  user_profil_sigle                CHAR(3) NOT NULL PRIMARY KEY CHECK (length(user_profil_sigle) <= 3),
  user_profil_structure            INTEGER NOT NULL DEFAULT 1,
  user_profil_disponible           INTEGER NOT NULL DEFAULT 1,
  user_profil_actif                INTEGER NOT NULL DEFAULT 1,
  user_profil_obligatoire          INTEGER NOT NULL DEFAULT 0,
  user_profil_type                 VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(user_profil_type) <= 15),
  user_profil_join_groupes         TEXT    NOT NULL DEFAULT 'sansobjet'
                                   CHECK (user_profil_join_groupes IN ('sansobjet', 'auto', 'all', 'config')),
  user_profil_join_matieres        TEXT    NOT NULL DEFAULT 'sansobjet'
                                   CHECK (user_profil_join_matieres IN ('sansobjet', 'auto', 'all', 'config')),
  user_profil_nom_court_singulier  VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(user_profil_nom_court_singulier) <= 15),
  user_profil_nom_court_pluriel    VARCHAR(15) NOT NULL DEFAULT '' CHECK (length(user_profil_nom_court_pluriel) <= 15),
  user_profil_nom_long_singulier   VARCHAR(40) NOT NULL DEFAULT '' CHECK (length(user_profil_nom_long_singulier) <= 40),
  user_profil_nom_long_pluriel     VARCHAR(40) NOT NULL DEFAULT '' CHECK (length(user_profil_nom_long_pluriel) <= 40),
  user_profil_login_modele         VARCHAR(50) NOT NULL DEFAULT 'ppp.nnnnnnnn'
                                   CHECK (length(user_profil_login_modele) <= 50),
  user_profil_mdp_longueur_mini    INTEGER NOT NULL DEFAULT 6,
  user_profil_mdp_date_naissance   INTEGER NOT NULL DEFAULT 0,
  user_profil_duree_inactivite     INTEGER NOT NULL DEFAULT 30
);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_structure ON sacoche_user_profil (user_profil_structure);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_disponible ON sacoche_user_profil (user_profil_disponible);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_actif ON sacoche_user_profil (user_profil_actif);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_obligatoire ON sacoche_user_profil (user_profil_obligatoire);
CREATE INDEX IF NOT EXISTS sacoche_user_profil_type ON sacoche_user_profil (user_profil_type);

CREATE TABLE IF NOT EXISTS sacoche_siecle_import (
  siecle_import_objet    VARCHAR(12) NOT NULL DEFAULT '' PRIMARY KEY CHECK (length(siecle_import_objet) <= 12),
  siecle_import_date     TEXT     NULL DEFAULT NULL,
  siecle_import_annee    CHAR(4)  NULL DEFAULT NULL CHECK (length(siecle_import_annee) <= 4),
  siecle_import_contenu  MEDIUMTEXT NOT NULL
);

-- Reference rows: identical to mysql.sql.

-- Cycles and primary-school levels, as SACoche ships them (niveau_actif 0: a school activates its own).
INSERT OR IGNORE INTO sacoche_niveau
  (niveau_id, niveau_actif, niveau_usuel, niveau_famille_id, niveau_ordre, niveau_ref, code_mef, niveau_nom)
VALUES
  (    1, 0, 1,  1,  5, 'P1',     '',            'Cycle 1 (PS-MS-GS)'),
  (    2, 0, 1,  1, 30, 'P2',     '',            'Cycle 2 (CP-CE1-CE2)'),
  (    3, 0, 1,  1, 90, 'P3',     '',            'Cycle 3 (CM1-CM2-6E)'),
  ( 1011, 0, 1, 60,  0, 'TPS',    '0041000111.', 'TPS (maternelle, toute petite section)'),
  ( 1031, 0, 1, 60,  1, 'PS',     '0001000131.', 'PS (maternelle, petite section)'),
  ( 1032, 0, 1, 60,  2, 'MS',     '0001000132.', 'MS (maternelle, moyenne section)'),
  ( 1033, 0, 1, 60,  3, 'GS',     '0001000133.', 'GS (maternelle, grande section)'),
  (10001, 0, 1, 60, 11, 'CP',     '0011000211.', 'CP (cours préparatoire)'),
  (20001, 0, 1, 60, 21, 'CE1',    '0021000221.', 'CE1 (cours élémentaire 1e année)'),
  (20002, 0, 1, 60, 22, 'CE2',    '0021000222.', 'CE2 (cours élémentaire 2e année)'),
  (30001, 0, 1, 60, 31, 'CM1',    '0031000221.', 'CM1 (cours moyen 1e année)'),
  (30002, 0, 1, 60, 32, 'CM2',    '0031000222.', 'CM2 (cours moyen 2e année)'),
  (60002, 0, 0, 60, 60, '1UPE2A', '0601000311.', 'UPE2A (unité pédagogique pour élèves allophones arrivants)'),
  (61001, 0, 0, 61, 61, 'ADAP',   '0611000411.', 'Classe d''adaptation'),
  (62001, 0, 0, 62, 62, 'CLIS',   '0621000511.', 'CLIS (classe pour l''inclusion scolaire)');

-- SACoche's profile rows.
INSERT OR IGNORE INTO sacoche_user_profil VALUES
  ('OUT', 0, 1, 1, 1, 'public',         'sansobjet', 'sansobjet', 'non connecté',   'non connectés',   'utilisateur non connecté',            'utilisateurs non connectés',             'ppp.nnnnnnnn', 6, 0,  0),
  ('WBM', 0, 1, 1, 1, 'webmestre',      'sansobjet', 'sansobjet', 'webmestre',      'webmestres',      'webmestre (responsable du serveur)',  'webmestres (responsables du serveur)',   'ppp.nnnnnnnn', 6, 0, 15),
  ('ENT', 0, 1, 1, 1, 'partenaire',     'sansobjet', 'sansobjet', 'partenaire',     'partenaires',     'partenariat conventionné (ENT)',      'partenariats conventionnés (ENT)',       'ppp.nnnnnnnn', 6, 0, 15),
  ('ADM', 1, 1, 1, 1, 'administrateur', 'sansobjet', 'sansobjet', 'administrateur', 'administrateurs', 'administrateur (de l''établissement)', 'administrateurs (de l''établissement)',   'ppp.nnnnnnnn', 6, 0, 30),
  ('ELV', 1, 1, 1, 1, 'eleve',          'config',    'auto',      'élève',          'élèves',          'élève',                               'élèves',                                 'ppp.nnnnnnnn', 6, 0, 30),
  ('TUT', 1, 1, 1, 1, 'parent',         'auto',      'auto',      'parent',         'parents',         'responsable légal (parent, tuteur)',  'responsables légaux (parents, tuteurs)', 'ppp.nnnnnnnn', 6, 0, 30),
  ('AVS', 1, 0, 0, 0, 'parent',         'auto',      'auto',      'AVS',            'AVS',             'auxiliaire de vie scolaire (AVS)',    'auxiliaires de vie scolaire (AVS)',      'ppp.nnnnnnnn', 6, 0, 30),
  ('DIR', 1, 1, 1, 1, 'directeur',      'all',       'all',       'directeur',      'directeurs',      'personnel de direction',              'personnels de direction',                'ppp.nnnnnnnn', 6, 0, 30),
  ('ENS', 1, 1, 1, 1, 'professeur',     'config',    'config',    'professeur',     'professeurs',     'personnel enseignant',                'personnels enseignants',                 'ppp.nnnnnnnn', 6, 0, 30),
  ('IEX', 1, 1, 0, 0, 'professeur',     'config',    'config',    'intervenant',    'intervenants',    'intervenant extérieur',               'intervenants extérieurs',                'ppp.nnnnnnnn', 6, 0, 30),
  ('DOC', 1, 1, 1, 0, 'professeur',     'all',       'config',    'documentaliste', 'documentalistes', 'professeur documentaliste',           'professeurs documentalistes',            'ppp.nnnnnnnn', 6, 0, 30),
  ('EDU', 1, 1, 1, 0, 'professeur',     'all',       'config',    'CPE',            'CPE',             'conseiller d''éducation (CPE)',        'conseillers d''éducation (CPE)',          'ppp.nnnnnnnn', 6, 0, 30),
  ('AED', 1, 1, 0, 0, 'professeur',     'all',       'config',    'AED',            'AED',             'assistant d''éducation (AED)',         'assistants d''éducation (AED)',           'ppp.nnnnnnnn', 6, 0, 30),
  ('SUR', 1, 1, 0, 0, 'professeur',     'all',       'config',    'surveillant',    'surveillants',    'personnel de surveillance',           'personnels de surveillance',             'ppp.nnnnnnnn', 6, 0, 30),
  ('ORI', 1, 1, 0, 0, 'professeur',     'all',       'config',    'COP',            'COP',             'conseiller d''orientation (COP)',      'conseillers d''orientation (COP)',        'ppp.nnnnnnnn', 6, 0, 30),
  ('MDS', 1, 1, 0, 0, 'professeur',     'all',       'config',    'médecin',        'médecins',        'personnel médico-social',             'personnels médico-sociaux',              'ppp.nnnnnnnn', 6, 0, 30),
  ('ADF', 1, 1, 0, 0, 'professeur',     'all',       'config',    'administratif',  'administratifs',  'personnel administratif',             'personnels administratifs',              'ppp.nnnnnnnn', 6, 0, 30),
  ('PSE', 1, 1, 0, 0, 'professeur',     'all',       'config',    'socioéducatif',  'socioéducatifs',  'personnel socio-éducatif',            'personnels socio-éducatifs',             'ppp.nnnnnnnn', 6, 0, 30),
  ('INS', 1, 0, 0, 0, 'inspecteur',     'auto',      'auto',      'inspecteur',     'inspecteurs',     'inspecteur',                          'inspecteurs',                            'ppp.nnnnnnnn', 6, 0, 30);

-- One archive row per import kind, empty until that import runs ('Onde' = pupils of a primary school).
INSERT OR IGNORE INTO sacoche_siecle_import
  (siecle_import_objet, siecle_import_date, siecle_import_annee, siecle_import_contenu)
VALUES
  ('sts_emp_UAI',  NULL, NULL, ''),
  ('Nomenclature', NULL, NULL, ''),
  ('Communs',      NULL, NULL, ''),
  ('Eleves',       NULL, NULL, ''),
  ('Onde',         NULL, NULL, '');
