-- The FOCUS 1.2 shape: 1.3-only columns dropped, ProviderName/PublisherName from the 1.3 provider columns
-- (ServiceProviderName).
{{ config(materialized='view') }}
with cost_and_usage as (
    select * from {{ ref('cost_and_usage') }}
)
select {{ cost_and_usage_columns(renamed={'service_provider_name': 'service_provider_name as provider_name',
                                   'host_provider_name': 'service_provider_name as publisher_name'}) | join(', ') }}
from cost_and_usage
