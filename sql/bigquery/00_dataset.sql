-- The warehouse's dataset. `open` runs this first; idempotent.
CREATE SCHEMA IF NOT EXISTS `${project}.${dataset}`
OPTIONS (location = '${location}', description = 'retail-pipeline warehouse');
