{#- Incremental strategy `replace_keys` (cost_and_usage): the rows of new loads replace the rows with the same
    unique key, and the values they replace are written beside them into the changes table
    (config `changes_relation`: int_cost_and_usage__changes) for cost_restatements. One pass over the target
    finds the replaced rows and reads their old values; DuckDB then deletes them by row id (no second join).
    The columns copied are the `old_<name>` columns of the changes table, from `<name>` (x_load_id -> old_load_id). -#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
    {{ return(adapter.dispatch('get_incremental_replace_keys_sql', 'finops_etl')(arg_dict)) }}
{% endmacro %}

{% macro replace_keys_old_columns() %}
    {{ return({'old_billed_cost': 'billed_cost', 'old_effective_cost': 'effective_cost',
               'old_load_id': 'x_load_id', 'old_cost_status': 'x_cost_status',
               'old_charge_period_start': 'charge_period_start'}) }}
{% endmacro %}

{% macro duckdb__get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set changes = ref(config.get('changes_relation')) -%}
    {%- set old = replace_keys_old_columns() -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    create or replace temp table cost_and_usage__replaced as
    select t.rowid as replaced_rowid, {% for key in keys %}t.{{ key }}, {% endfor -%}
        {%- for name, column in old.items() %}t.{{ column }} as {{ name }}{{ ", " if not loop.last }}{% endfor %}
    from {{ target }} as t
    join (select distinct {{ keys | join(', ') }} from {{ source }}) as n
      on {% for key in keys %}t.{{ key }} = n.{{ key }}{{ " and " if not loop.last }}{% endfor %};
    update {{ changes }} as c set
        {%- for name in old %} {{ name }} = r.{{ name }}{{ "," if not loop.last }}{% endfor %}
    from cost_and_usage__replaced as r
    where {% for key in keys %}c.{{ key }} = r.{{ key }}{{ " and " if not loop.last }}{% endfor %};
    delete from {{ target }} where rowid in (select replaced_rowid from cost_and_usage__replaced);
    insert into {{ target }} ({{ cols }}) select {{ cols }} from {{ source }};
    drop table cost_and_usage__replaced;
{%- endmacro %}

{% macro default__get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target, source = arg_dict['target_relation'], arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set changes = ref(config.get('changes_relation')) -%}
    {%- set old = replace_keys_old_columns() -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    update {{ changes }} as c set
        {%- for name, column in old.items() %} {{ name }} = t.{{ column }}{{ "," if not loop.last }}{% endfor %}
    from {{ target }} as t
    where {% for key in keys %}c.{{ key }} = t.{{ key }}{{ " and " if not loop.last }}{% endfor %};
    delete from {{ target }} as t using {{ source }} as n
    where {% for key in keys %}t.{{ key }} = n.{{ key }}{{ " and " if not loop.last }}{% endfor %};
    insert into {{ target }} ({{ cols }}) select {{ cols }} from {{ source }};
{%- endmacro %}
