/**
 * The cloud's registry: models, immutable versions and their variants with content-addressed
 * artifacts and signed manifests; the edge fleet (enrollment, credentials, heartbeats, labels);
 * deployments as desired state with canary rollouts and rollback; management credentials; the
 * hard-example sample store. Persistence is JDBC with Flyway migrations over SQLite (default) or
 * PostgreSQL. No HTTP here: {@link dev.strata.registry.Registry} hands the REST layer its services.
 */
package dev.strata.registry;
