{#- What finops-etl's SQL runner (before this dbt project) left in the dataset; dropped on a full build. -#}
{% macro drop_legacy_objects() %}
    {%- if flags.FULL_REFRESH -%}
    {%- for view in ['stg_cloudflare_usage', 'stg_ai_gateway_daily', 'stg_venice_hourly'] %}
    drop view if exists {{ target.schema }}.{{ view }};
    {%- endfor %}
    {%- for table in ['_model_loads', '_model_builds'] %}
    drop table if exists {{ target.schema }}.{{ table }};
    {%- endfor %}
    {%- endif -%}
{% endmacro %}
