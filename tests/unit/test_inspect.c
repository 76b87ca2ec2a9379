/* What gst-inspect-1.0 shows for every gst-membound element: metadata, pad
 * templates and a documented, validated, lowercase-dashed property set. */
#include <gst/check/gstcheck.h>
#include <string.h>

static const gchar *elements[] = {
  "pngtiledec", "pngtileenc", "tilecompose", "tilescale", "seqfilesrc",
  "boundedqueue", "memmeter", "deepzoomsink",
};

static gboolean
is_lowercase_dashed (const gchar * name)
{
  const gchar *c;

  for (c = name; *c; c++)
    if (!(g_ascii_islower (*c) || g_ascii_isdigit (*c) || *c == '-'))
      return FALSE;
  return TRUE;
}

static void
check_element (gconstpointer data)
{
  const gchar *name = data;
  GstElementFactory *factory = gst_element_factory_find (name);
  GstElement *element;
  GParamSpec **props;
  guint n_props, i;
  const gchar *key;

  g_assert_nonnull (factory);
  for (i = 0; i < 4; i++) {
    const gchar *keys[] = { GST_ELEMENT_METADATA_LONGNAME,
      GST_ELEMENT_METADATA_KLASS, GST_ELEMENT_METADATA_DESCRIPTION,
      GST_ELEMENT_METADATA_AUTHOR
    };
    key = gst_element_factory_get_metadata (factory, keys[i]);
    g_assert_nonnull (key);
    g_assert_cmpuint (strlen (key), >, 3);
  }
  g_assert_cmpuint (gst_element_factory_get_num_pad_templates (factory), >, 0);

  element = gst_element_factory_create (factory, NULL);
  g_assert_nonnull (element);
  props = g_object_class_list_properties (G_OBJECT_GET_CLASS (element),
      &n_props);
  for (i = 0; i < n_props; i++) {
    GParamSpec *p = props[i];
    const gchar *blurb = g_param_spec_get_blurb (p);

    /* inherited GstObject/GstBaseSrc/... properties are documented upstream */
    if (p->owner_type != G_OBJECT_TYPE (element))
      continue;
    if (!is_lowercase_dashed (p->name))
      g_error ("%s: property '%s' is not lowercase-dashed", name, p->name);
    if (!blurb || strlen (blurb) < 20)
      g_error ("%s: property '%s' has no real description", name, p->name);
    if ((p->flags & G_PARAM_STATIC_STRINGS) != G_PARAM_STATIC_STRINGS)
      g_error ("%s: property '%s' lacks G_PARAM_STATIC_STRINGS", name,
          p->name);
  }
  g_free (props);
  gst_object_unref (element);
  gst_object_unref (factory);
}

static void
test_memusage_tracer_registered (void)
{
  GstPluginFeature *feature = gst_registry_find_feature (gst_registry_get (),
      "memusage", GST_TYPE_TRACER_FACTORY);

  g_assert_nonnull (feature);
  gst_object_unref (feature);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  gst_check_init (&argc, &argv);
  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    gchar *path = g_strdup_printf ("/inspect/%s/documented-properties",
        elements[i]);
    g_test_add_data_func (path, elements[i], check_element);
    g_free (path);
  }
  g_test_add_func ("/inspect/memusage-tracer-registered",
      test_memusage_tracer_registered);
  return g_test_run ();
}
