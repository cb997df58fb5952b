id=42&name=o'brien
-- leading comment
SELECT :id, :name::text, 'not :a param', $$ :nor; this $$, E'\':x' FROM t WHERE a[1:2] = :id;
/* nested /* block */ ; */ CREATE RULE r AS ON INSERT TO t DO (INSERT INTO u VALUES (1); DELETE FROM v);
SELECT "odd "" ident;" FROM $tag$ body; $tag$