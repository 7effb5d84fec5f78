-- SACoche tables touched by the ONDE import, for MySQL / MariaDB.
--
-- Written from the project's target sheet (shared/sacoche-target.md), NOT copied from SACoche.
-- It is a test and demo fixture: the real SACoche schema has more tables and more columns, and
-- where the two disagree real SACoche wins. Never run this file on a production SACoche database
-- (it would only create missing tables and missing reference rows, but it has no business there).
--
-- Storage facts mirrored on purpose:
--   * ENGINE=MyISAM: no transactions, so ROLLBACK protects nothing;
--   * DEFAULT CHARSET=utf8 (3-byte utf8mb3): characters outside the BMP (emoji...) cannot be stored;
--   * COLLATE=utf8_unicode_ci: comparisons ignore case and accents ('Élodie' = 'elodie').
--
-- Idempotent: CREATE TABLE IF NOT EXISTS and INSERT IGNORE, so loading it twice is harmless.
-- Run it with a utf8 client, e.g.: mariadb --default-character-set=utf8 DB < mysql.sql

SET NAMES utf8;

CREATE TABLE IF NOT EXISTS sacoche_user (
  user_id              MEDIUMINT UNSIGNED       NOT NULL AUTO_INCREMENT,
  user_sconet_id       MEDIUMINT UNSIGNED       NOT NULL DEFAULT 0,
  user_sconet_elenoet  SMALLINT UNSIGNED        NOT NULL DEFAULT 0,
  user_reference       CHAR(11)                 NOT NULL DEFAULT '' COMMENT 'INE for a pupil',
  user_profil_sigle    CHAR(3)                  NOT NULL DEFAULT '',
  user_genre           ENUM('I','M','F')        NOT NULL DEFAULT 'I',
  user_nom             VARCHAR(25)              NOT NULL DEFAULT '',
  user_prenom          VARCHAR(25)              NOT NULL DEFAULT '',
  user_naissance_date  DATE                         NULL DEFAULT NULL,
  user_email           VARCHAR(63)              NOT NULL DEFAULT '',
  user_email_origine   ENUM('','user','admin')  NOT NULL DEFAULT '',
  user_login           VARCHAR(30)              NOT NULL DEFAULT '',
  user_password        CHAR(32)                 NOT NULL DEFAULT '' COMMENT 'md5(grain_de_sel + password), lowercase hex',
  user_langue          VARCHAR(6)               NOT NULL DEFAULT '',
  user_daltonisme      TINYINT(1) UNSIGNED      NOT NULL DEFAULT 0,
  user_connexion_date  DATETIME                     NULL DEFAULT NULL,
  user_sortie_date     DATE                     NOT NULL DEFAULT '9999-12-31' COMMENT '9999-12-31 = active',
  eleve_classe_id      MEDIUMINT UNSIGNED       NOT NULL DEFAULT 0,
  eleve_lv1            TINYINT UNSIGNED         NOT NULL DEFAULT 100,
  eleve_lv2            TINYINT UNSIGNED         NOT NULL DEFAULT 100,
  eleve_uai_origine    CHAR(8)                  NOT NULL DEFAULT '',
  user_id_ent          VARCHAR(63)              NOT NULL DEFAULT '',
  user_id_gepi         VARCHAR(63)              NOT NULL DEFAULT '',
  user_param_accueil   VARCHAR(127)             NOT NULL DEFAULT '',
  user_param_menu      TEXT                         NULL,
  user_param_favori    TINYTEXT                     NULL,
  user_pass_key        CHAR(32)                 NOT NULL DEFAULT '',
  PRIMARY KEY (user_id),
  UNIQUE KEY user_login (user_login),
  KEY user_profil_sigle (user_profil_sigle),
  KEY user_sortie_date (user_sortie_date),
  KEY eleve_classe_id (eleve_classe_id),
  KEY user_id_ent (user_id_ent),
  KEY user_id_gepi (user_id_gepi)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_groupe (
  groupe_id       MEDIUMINT UNSIGNED                        NOT NULL AUTO_INCREMENT,
  groupe_type     ENUM('classe','groupe','besoin','eval')   NOT NULL DEFAULT 'classe',
  groupe_ref      VARCHAR(20)                               NOT NULL DEFAULT '' COMMENT 'matching key of the import',
  groupe_nom      VARCHAR(20)                               NOT NULL DEFAULT '',
  niveau_id       MEDIUMINT UNSIGNED                        NOT NULL DEFAULT 0,
  groupe_chef_id  MEDIUMINT UNSIGNED                        NOT NULL DEFAULT 0,
  PRIMARY KEY (groupe_id),
  KEY groupe_type (groupe_type),
  KEY niveau_id (niveau_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_jointure_user_groupe (
  user_id      MEDIUMINT UNSIGNED   NOT NULL DEFAULT 0,
  groupe_id    MEDIUMINT UNSIGNED   NOT NULL DEFAULT 0,
  jointure_pp  TINYINT(1) UNSIGNED  NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, groupe_id),
  KEY groupe_id (groupe_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_niveau (
  niveau_id          MEDIUMINT UNSIGNED   NOT NULL DEFAULT 0,
  niveau_actif       TINYINT(1) UNSIGNED  NOT NULL DEFAULT 0,
  niveau_usuel       TINYINT(1) UNSIGNED  NOT NULL DEFAULT 0,
  niveau_famille_id  SMALLINT UNSIGNED    NOT NULL DEFAULT 0 COMMENT '60 = premier degré',
  niveau_ordre       SMALLINT UNSIGNED    NOT NULL DEFAULT 0,
  niveau_ref         VARCHAR(6)           NOT NULL DEFAULT '',
  code_mef           CHAR(11)             NOT NULL DEFAULT '',
  niveau_nom         VARCHAR(63)          NOT NULL DEFAULT '',
  PRIMARY KEY (niveau_id),
  KEY niveau_actif (niveau_actif),
  KEY niveau_famille_id (niveau_famille_id)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

CREATE TABLE IF NOT EXISTS sacoche_user_profil (
  user_profil_sigle               CHAR(3)              NOT NULL DEFAULT '',
  user_profil_type                VARCHAR(15)          NOT NULL DEFAULT '',
  user_profil_nom_court           VARCHAR(31)          NOT NULL DEFAULT '',
  user_profil_login_modele        VARCHAR(20)          NOT NULL DEFAULT 'ppp.nnnnnnnn',
  user_profil_mdp_longueur_mini   TINYINT UNSIGNED     NOT NULL DEFAULT 6,
  user_profil_mdp_date_naissance  TINYINT(1) UNSIGNED  NOT NULL DEFAULT 0,
  PRIMARY KEY (user_profil_sigle)
) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci;

-- Reference rows (INSERT IGNORE: existing rows, even edited ones, are left untouched).

-- Cycles (the sheet: 1 P1 = PS-MS-GS, 2 P2 = CP-CE1-CE2, 3 P3 = CM1-CM2-6E).
-- Primary-school levels: famille 60 = premier degré. code_mef is left empty: the ONDE import never uses it.
INSERT IGNORE INTO sacoche_niveau
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

INSERT IGNORE INTO sacoche_user_profil
  (user_profil_sigle, user_profil_type, user_profil_nom_court,
   user_profil_login_modele, user_profil_mdp_longueur_mini, user_profil_mdp_date_naissance)
VALUES
  ('ELV', 'eleve',          'élève',          'ppp.nnnnnnnn', 6, 0),
  ('TUT', 'parent',         'responsable',    'ppp.nnnnnnnn', 6, 0),
  ('ENS', 'professeur',     'enseignant',     'ppp.nnnnnnnn', 6, 0),
  ('DIR', 'directeur',      'directeur',      'ppp.nnnnnnnn', 6, 0),
  ('ADM', 'administrateur', 'administrateur', 'ppp.nnnnnnnn', 6, 0);
