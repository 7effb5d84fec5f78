-- SACoche tables touched by the ONDE import, for MySQL / MariaDB.
--
-- The CREATE TABLE statements follow SACoche's own DDL as of its 2017-12-22 release
-- (src/_sql/structure/sacoche_*.sql: same columns and order, types, widths, defaults and keys). Its
-- 2017-10-10 schema widened user_nom / user_prenom / user_login to VARCHAR(50), user_email to
-- VARCHAR(100) and user_profil_login_modele to VARCHAR(50); older bases still have 25 / 25 / 30 / 63 / 20,
-- which is why the engine reads the widths from the live database instead of assuming these.
-- This file is a test and demo fixture: real SACoche has many more tables, and where the two disagree
-- real SACoche wins. Never run it on a production SACoche database (it would only create missing tables
-- and missing reference rows, but it has no business there).
--
-- Storage facts mirrored on purpose:
--   * ENGINE=MyISAM: no transactions, so ROLLBACK protects nothing;
--   * DEFAULT CHARSET=utf8 (3-byte utf8mb3): characters outside the BMP (emoji...) cannot be stored;
--   * COLLATE=utf8_unicode_ci: comparisons ignore case, accents and trailing spaces ('Élodie' = 'elodie ').
--
-- Idempotent: CREATE TABLE IF NOT EXISTS and INSERT IGNORE, so loading it twice is harmless.
-- Run it with a utf8 client, e.g.: mariadb --default-character-set=utf8 DB < mysql.sql

SET NAMES utf8;

CREATE TABLE IF NOT EXISTS sacoche_user (
  user_id              MEDIUMINT(6) UNSIGNED    NOT NULL AUTO_INCREMENT,
  user_sconet_id       MEDIUMINT(6) UNSIGNED    NOT NULL DEFAULT 0,
  user_sconet_elenoet  SMALLINT(5) UNSIGNED     NOT NULL DEFAULT 0,
  user_reference       CHAR(11)                 NOT NULL DEFAULT '' COMMENT 'INE for a pupil',
  user_profil_sigle    CHAR(3)                  NOT NULL DEFAULT '',
  user_genre           ENUM('I','M','F')        NOT NULL DEFAULT 'I',
  user_nom             VARCHAR(50)              NOT NULL DEFAULT '',
  user_prenom          VARCHAR(50)              NOT NULL DEFAULT '',
  user_naissance_date  DATE                         NULL DEFAULT NULL,
  user_email           VARCHAR(100)             NOT NULL DEFAULT '',
  user_email_origine   ENUM('','user','admin')  NOT NULL DEFAULT '',
  user_login           VARCHAR(50)              NOT NULL DEFAULT '',
  user_password        CHAR(32)                 NOT NULL DEFAULT '' COMMENT 'md5(grain_de_sel + password), lowercase hex',
  user_langue          VARCHAR(6)               NOT NULL DEFAULT '',
  user_daltonisme      TINYINT(1) UNSIGNED      NOT NULL DEFAULT 0,
  user_connexion_date  DATETIME                     NULL DEFAULT NULL,
  user_sortie_date     DATE                     NOT NULL DEFAULT '9999-12-31' COMMENT '9999-12-31 = active',
  eleve_classe_id      MEDIUMINT(6) UNSIGNED    NOT NULL DEFAULT 0,
  eleve_lv1            TINYINT(3) UNSIGNED      NOT NULL DEFAULT 100,
  eleve_lv2            TINYINT(3) UNSIGNED      NOT NULL DEFAULT 100,
  eleve_uai_origine    CHAR(8)                  NOT NULL DEFAULT '',
  user_id_ent          VARCHAR(63)              NOT NULL DEFAULT '',
  user_id_gepi         VARCHAR(63)              NOT NULL DEFAULT '',
  user_param_accueil   VARCHAR(127)             NOT NULL DEFAULT '',
  user_param_menu      TEXT                         NULL,
  user_param_favori    TINYTEXT                     NULL,
  user_pass_key        CHAR(32)                 NOT NULL DEFAULT '',
  PRIMARY KEY (user_id),
  UNIQUE KEY user_login (user_login),
  KEY profil_sigle (user_profil_sigle),
  KEY user_sortie_date (user_sortie_date),
  KEY eleve_classe_id (eleve_classe_id),
  KEY user_id_ent (user_id_ent),
  KEY user_id_gepi (user_id_gepi)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_groupe (
  groupe_id                      MEDIUMINT(6) UNSIGNED                     NOT NULL AUTO_INCREMENT,
  groupe_type                    ENUM('classe','groupe','besoin','eval')   NOT NULL DEFAULT 'classe',
  groupe_ref                     VARCHAR(20)                               NOT NULL DEFAULT '' COMMENT 'matching key of the import',
  groupe_nom                     VARCHAR(20)                               NOT NULL DEFAULT '',
  niveau_id                      MEDIUMINT(6) UNSIGNED                     NOT NULL DEFAULT 0,
  groupe_chef_id                 MEDIUMINT(6) UNSIGNED                     NOT NULL DEFAULT 0,
  groupe_configuration_releve    VARCHAR(15)                               NOT NULL DEFAULT '' COMMENT 'defaut for a class',
  groupe_configuration_bulletin  VARCHAR(15)                               NOT NULL DEFAULT '' COMMENT 'defaut for a class',
  groupe_configuration_livret    VARCHAR(15)                               NOT NULL DEFAULT '' COMMENT 'defaut for a class',
  PRIMARY KEY (groupe_id),
  KEY niveau_id (niveau_id),
  KEY groupe_type (groupe_type)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_jointure_user_groupe (
  user_id      MEDIUMINT(6) UNSIGNED  NOT NULL DEFAULT 0,
  groupe_id    MEDIUMINT(6) UNSIGNED  NOT NULL DEFAULT 0,
  jointure_pp  TINYINT(1) UNSIGNED    NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, groupe_id),
  KEY groupe_id (groupe_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Parents (profile TUT) and their children, with the legal representative's number (SACoche's DDL).
CREATE TABLE IF NOT EXISTS sacoche_jointure_parent_eleve (
  parent_id      MEDIUMINT(6) UNSIGNED NOT NULL DEFAULT 0,
  eleve_id       MEDIUMINT(6) UNSIGNED NOT NULL DEFAULT 0,
  resp_legal_num TINYINT(1)   UNSIGNED NOT NULL DEFAULT 1,
  PRIMARY KEY (parent_id, eleve_id),
  KEY eleve_id (eleve_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- One postal address per parent (SACoche's DDL: four lines, postal code, town, country).
CREATE TABLE IF NOT EXISTS sacoche_parent_adresse (
  parent_id              MEDIUMINT(6) UNSIGNED                NOT NULL DEFAULT 0,
  adresse_ligne1         VARCHAR(50)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_ligne2         VARCHAR(50)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_ligne3         VARCHAR(50)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_ligne4         VARCHAR(50)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_postal_code    VARCHAR(10)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_postal_libelle VARCHAR(45)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  adresse_pays_nom       VARCHAR(35)  COLLATE utf8_unicode_ci NOT NULL DEFAULT '',
  PRIMARY KEY (parent_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_niveau (
  niveau_id          MEDIUMINT(6) UNSIGNED  NOT NULL AUTO_INCREMENT,
  niveau_actif       TINYINT(1) UNSIGNED    NOT NULL DEFAULT 0,
  niveau_usuel       TINYINT(1) UNSIGNED    NOT NULL DEFAULT 0,
  niveau_famille_id  SMALLINT(3) UNSIGNED   NOT NULL DEFAULT 0 COMMENT '60-62 = premier degré',
  niveau_ordre       SMALLINT(3) UNSIGNED   NOT NULL DEFAULT 0,
  niveau_ref         VARCHAR(6)             NOT NULL DEFAULT '',
  code_mef           CHAR(11)               NOT NULL DEFAULT '',
  niveau_nom         VARCHAR(75)            NOT NULL DEFAULT '',
  PRIMARY KEY (niveau_id),
  KEY niveau_actif (niveau_actif),
  KEY niveau_famille_id (niveau_famille_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_user_profil (
  user_profil_sigle                CHAR(3)                                   NOT NULL,
  user_profil_structure            TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 1,
  user_profil_disponible           TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 1,
  user_profil_actif                TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 1,
  user_profil_obligatoire          TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 0,
  user_profil_type                 VARCHAR(15)                               NOT NULL DEFAULT '',
  user_profil_join_groupes         ENUM('sansobjet','auto','all','config')   NOT NULL DEFAULT 'sansobjet',
  user_profil_join_matieres        ENUM('sansobjet','auto','all','config')   NOT NULL DEFAULT 'sansobjet',
  user_profil_nom_court_singulier  VARCHAR(15)                               NOT NULL DEFAULT '',
  user_profil_nom_court_pluriel    VARCHAR(15)                               NOT NULL DEFAULT '',
  user_profil_nom_long_singulier   VARCHAR(40)                               NOT NULL DEFAULT '',
  user_profil_nom_long_pluriel     VARCHAR(40)                               NOT NULL DEFAULT '',
  user_profil_login_modele         VARCHAR(50)                               NOT NULL DEFAULT 'ppp.nnnnnnnn',
  user_profil_mdp_longueur_mini    TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 6,
  user_profil_mdp_date_naissance   TINYINT(1) UNSIGNED                       NOT NULL DEFAULT 0,
  user_profil_duree_inactivite     TINYINT(3) UNSIGNED                       NOT NULL DEFAULT 30,
  PRIMARY KEY (user_profil_sigle),
  KEY user_profil_structure (user_profil_structure),
  KEY user_profil_disponible (user_profil_disponible),
  KEY user_profil_actif (user_profil_actif),
  KEY user_profil_obligatoire (user_profil_obligatoire),
  KEY user_profil_type (user_profil_type)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- The wizard's archive of each import: row 'Onde' holds the last ONDE file's lines as JSON.
CREATE TABLE IF NOT EXISTS sacoche_siecle_import (
  siecle_import_objet    VARCHAR(12)  NOT NULL DEFAULT '',
  siecle_import_date     DATE             NULL DEFAULT NULL,
  siecle_import_annee    CHAR(4)          NULL DEFAULT NULL,
  siecle_import_contenu  MEDIUMTEXT   NOT NULL,
  PRIMARY KEY (siecle_import_objet)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Reference rows (INSERT IGNORE: existing rows, even edited ones, are left untouched).

-- Cycles and primary-school levels, as SACoche ships them (niveau_actif 0: a school activates its own).
INSERT IGNORE INTO sacoche_niveau
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
INSERT IGNORE INTO sacoche_user_profil VALUES
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
INSERT IGNORE INTO sacoche_siecle_import
  (siecle_import_objet, siecle_import_date, siecle_import_annee, siecle_import_contenu)
VALUES
  ('sts_emp_UAI',  NULL, NULL, ''),
  ('Nomenclature', NULL, NULL, ''),
  ('Communs',      NULL, NULL, ''),
  ('Eleves',       NULL, NULL, ''),
  ('Onde',         NULL, NULL, '');
