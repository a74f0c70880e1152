{#- A provider re-delivers a month's FOCUS export until the month closes, often with fewer rows. The raw table
    replaces the file's rows (merge on x_file); cost_and_usage replaces rows by key, which would leave the rows
    past the new file's end. So before an incremental build takes in new loads, every cost_and_usage row of a
    file those loads bring is removed; the new version's rows then come in whole. The values removed are first
    written into the changes table beside the rows that take their keys (as the replace_keys strategy does for
    the rows it replaces), so cost_restatements still compares a re-delivered row with the one it replaces. -#}
{% macro delete_redelivered_files() %}
    {%- if not execute or not is_incremental() -%}{{ return('') }}{%- endif -%}
    {%- set raw = source('finops', 'focus_files_cost_and_usage') -%}
    {%- if adapter.get_relation(database=raw.database, schema=raw.schema, identifier=raw.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set taken_in = last_load_taken_in() -%}
    {%- set old = replace_keys_old_columns() -%}
    update {{ ref('int_cost_and_usage__changes') }} as c set
        {%- for name, column in old.items() %} {{ name }} = t.{{ column }}{{ "," if not loop.last }}{% endfor %}
    from {{ this }} as t
    where c.x_source = 'focus_files' and t.x_source = 'focus_files' and c.x_source_key = t.x_source_key;
    delete from {{ this }}
    where x_source = 'focus_files'
      and exists (
        select 1 from (select distinct x_file from {{ raw }} where _dlt_load_id > {{ taken_in }}) as redelivered
        where left({{ this }}.x_source_key, length(redelivered.x_file) + 1) = redelivered.x_file || '#'
      )
{% endmacro %}
