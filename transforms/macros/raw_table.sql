{#- A raw table from the dlt dataset, or an empty SELECT with its declared columns when it was never loaded
    (its source is not configured): every model builds from whatever is loaded. The columns and their types
    are the ones declared in models/staging/_finops__sources.yml. -#}
{% macro raw_table(table_name) -%}
    {%- set relation = source('finops', table_name) -%}
    {%- if not execute -%}
        {{ relation }}
    {%- else -%}
        {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                             identifier=relation.identifier) -%}
        {%- if found is not none -%}
            {{ relation }}
        {%- else -%}
            {%- set node = graph.sources['source.finops_etl.finops.' ~ table_name] -%}
            (select
            {%- for name, column in node.columns.items() %}
                cast(null as {{ column.data_type }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0) as {{ table_name }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
