-- Aggregate: one row per product with its review count and average stars.
DROP TABLE IF EXISTS review_report;

CREATE TABLE review_report AS
SELECT product,
       COUNT(*)               AS review_count,
       ROUND(AVG(stars), 2)   AS avg_stars,
       MIN(year)              AS first_year,
       MAX(year)              AS last_year
FROM reviews
GROUP BY product;
